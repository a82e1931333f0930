package org.memlean.exercises.ch00;

/** Answers of the chapter 0 questions. */
public final class Questions {
    private Questions() {}

    /** 2 (bf16 weights) + 2 (bf16 gradients) + 4 (float32 master) + 8 (two float32 moments) = 16 bytes a parameter. */
    public static double modelStatesGibibytes() {
        return 16.0 * 6_738_415_616L / (1L << 30);
    }

    /** ./memlean anatomy --json: the peak, 7,479,368 bytes, less the end of forward, 5,983,812. */
    public static double peakAboveEndOfForwardKibibytes() {
        return (7_479_368 - 5_983_812) / 1024.0;
    }
}
