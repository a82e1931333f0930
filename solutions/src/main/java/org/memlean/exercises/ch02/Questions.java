package org.memlean.exercises.ch02;

/** Answers of the chapter 2 questions. */
public final class Questions {
    private Questions() {}

    /** L · B · T · C values at 2 bytes: 32 · 1 · 4096 · 4096 · 2 = 2³⁰ bytes. */
    public static double keptInputsGibibytes() {
        return 32.0 * 4096 * 4096 * 2 / (1L << 30);
    }

    /** Forward 1, backward 2, the recomputed forward 1: 4/3. */
    public static double workFactor() {
        return 4.0 / 3;
    }
}
