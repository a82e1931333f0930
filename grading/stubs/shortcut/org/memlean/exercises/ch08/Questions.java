package org.memlean.exercises.ch08;

public final class Questions {
    private Questions() {}

    public static double keptLogitsGibibytesPerStep() {
        return 4096.0 * 128_256 * 2 / (1L << 30);   // bf16 logits
    }

    public static double shareSavedUnderNoGrad() {
        return 1.0;                                  // "eval() is enough"
    }
}
