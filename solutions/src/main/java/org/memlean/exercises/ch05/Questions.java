package org.memlean.exercises.ch05;

/** Answers of the chapter 5 questions. */
public final class Questions {
    private Questions() {}

    /** A momentum and a diagonal Hessian estimate: two buffers, as AdamW's two moments. */
    public static double sophiaOverAdamW() {
        return 1.0;
    }

    /** 2 bytes of codes, and 2 × 4 bytes of scales per 256 elements. */
    public static double eightBitAdamWBytesPerParameter() {
        return 2 + 8.0 / 256;
    }
}
