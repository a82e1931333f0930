package org.memlean.exercises.ch02;

import org.memlean.nn.GptConfig;

/** Solution of Task 2.2. */
public final class SegmentChoice {
    private SegmentChoice() {}

    public static int bestSegmentLength(GptConfig config, long batch, long time, long answer) {
        long btc = batch * time * config.channels();
        long block = 16 * btc + batch * config.heads() * time * time + 4 * batch * time;
        long head = 2 * btc + 2 * batch * time + batch * answer * config.vocabSize();
        int best = 1;
        long bestBytes = Long.MAX_VALUE;
        for (int k = 1; k <= config.layers(); k++) {
            long kept = ((config.layers() + k - 1) / k) * btc;
            long bytes = kept + Math.max(head, k * block - btc);
            if (bytes < bestBytes) {
                bestBytes = bytes;
                best = k;
            }
        }
        return best;
    }
}
