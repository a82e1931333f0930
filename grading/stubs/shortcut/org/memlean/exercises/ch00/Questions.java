package org.memlean.exercises.ch00;

/** Wrong answers a learner might give: float32 weights and AdamW only; the default step's end of forward. */
public final class Questions {
    private Questions() {}

    public static double modelStatesGibibytes() {
        return 12.0 * 6_738_415_616L / (1L << 30);
    }

    public static double peakAboveEndOfForwardKibibytes() {
        return 0;
    }
}
