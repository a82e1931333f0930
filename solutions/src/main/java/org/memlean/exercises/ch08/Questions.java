package org.memlean.exercises.ch08;

/** Answers of the chapter 8 questions. */
public final class Questions {
    private Questions() {}

    /** B·T·V float32 values: 4096 × 128,256 × 4 bytes. */
    public static double keptLogitsGibibytesPerStep() {
        return 4096.0 * 128_256 * 4 / (1L << 30);
    }

    /** Nothing is recorded, so nothing is saved. */
    public static double shareSavedUnderNoGrad() {
        return 0;
    }
}
