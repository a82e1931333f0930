package org.memlean.exercises.ch09;

import java.util.Set;

/** Answers of the chapter 9 questions. */
public final class Questions {
    private Questions() {}

    /** Those whose backward reads their output (or a mask), not their input. */
    public static Set<String> inPlaceWhileRecording() {
        return Set.of("relu", "sigmoid", "tanh", "softmax", "dropout");
    }

    /** One (B, T, I) bf16 buffer. */
    public static long swigluProductBytes() {
        return 4096L * 11_008 * 2;
    }
}
