package org.memlean.exercises.ch06;

import java.util.Set;
import org.memlean.nn.GptConfig;

/** Solution of Task 6.2. */
public final class LowRank {
    private LowRank() {}

    /** r·(in + out) per adapted projection, per block: q, k, v, o are C → C; up C → 4C; down 4C → C. */
    public static long trainableParameters(GptConfig config, Set<String> targets, int rank) {
        long c = config.channels();
        long perBlock = 0;
        for (String t : targets) {
            perBlock += switch (t) {
                case "q", "k", "v", "o" -> rank * (c + c);
                case "up", "down" -> rank * (c + 4 * c);
                default -> throw new IllegalArgumentException("unknown target " + t);
            };
        }
        return config.layers() * perBlock;
    }
}
