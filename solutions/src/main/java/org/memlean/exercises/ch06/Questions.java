package org.memlean.exercises.ch06;

/** Answers of the chapter 6 questions. */
public final class Questions {
    private Questions() {}

    /** r·(in + out) = 16 · 8192 per projection, 4 projections, 32 blocks. */
    public static long llamaTrainableParameters() {
        return 32L * 4 * 16 * (4096 + 4096);
    }

    /** Backward is the input gradient plus the weight gradient, equal products: half. */
    public static double backwardShareSaved() {
        return 0.5;
    }
}
