package org.memlean.exercises.ch01;

/** Answers of the chapter 1 questions. */
public final class Questions {
    private Questions() {}

    /** Accumulation shrinks activations only: the model states stay, 16 bytes a parameter. */
    public static double peakFloorGigabytes() {
        return 16.0 * 6_738_415_616L / 1e9;
    }

    /** Its share of the tokens: 10 of 60. */
    public static double firstMicroBatchWeight() {
        return 10.0 / 60;
    }
}
