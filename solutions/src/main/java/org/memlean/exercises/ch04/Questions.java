package org.memlean.exercises.ch04;

/** Answers of the chapter 4 questions. */
public final class Questions {
    private Questions() {}

    /** Above 1.0 bf16's spacing is 2⁻⁷; half of it, 2⁻⁸, rounds back (the tie to even is 1.0). */
    public static double largestLostUpdate() {
        return Math.scalb(1.0, -8);
    }

    /** Weight, gradient, two moments, compensation: 5 × 2 = 10 bytes a parameter. */
    public static double modelStatesGigabytes() {
        return 10.0 * 13_015_864_320L / 1e9;
    }
}
