package org.memlean.exercises.ch10;

public final class Questions {
    private Questions() {}

    public static long albertXxlargeWithoutPooler() {
        return 235_000_000L;    // the paper's figure
    }

    public static double sharedOverUnsharedActivations() {
        return 1.0 / 12;
    }
}
