package org.memlean.exercises.ch00;

import org.memlean.nn.GptConfig;

/** Solutions of the warm-up exercise (FLOAT: 4 bytes per value). */
public final class MemoryAnatomy {
    private MemoryAnatomy() {}

    /** Task 0.1. */
    public static long parameterBytes(GptConfig config) {
        long c = config.channels();
        long v = config.vocabSize();
        long block = 2 * 2 * c + (c * 3 * c + 3 * c) + (c * c + c) + (c * 4 * c + 4 * c) + (4 * c * c + c);
        long elements = v * c + (long) config.blockSize() * c + config.layers() * block + 2 * c + c * v;
        return 4 * elements;
    }

    /** Task 0.2: two moments, each as large as the parameters. */
    public static long adamStateBytes(GptConfig config) {
        return 2 * parameterBytes(config);
    }

    /** Task 0.3. */
    public static long savedActivationBytes(GptConfig config, long batch, long time, long answer) {
        long c = config.channels();
        long perBlock = 16 * batch * time * c + batch * config.heads() * time * time + 4 * batch * time;
        long values = config.layers() * perBlock + (batch * time * c + 2 * batch * time) + batch * time * c
                + batch * answer * config.vocabSize();
        return 4 * values;
    }
}
