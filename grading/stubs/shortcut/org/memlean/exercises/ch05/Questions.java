package org.memlean.exercises.ch05;

public final class Questions {
    private Questions() {}

    public static double sophiaOverAdamW() {
        return 0.5;          // the article's claim
    }

    public static double eightBitAdamWBytesPerParameter() {
        return 2.0;
    }
}
