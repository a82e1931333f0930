package org.memlean.exercises.ch02;

public final class Questions {
    private Questions() {}

    public static double keptInputsGibibytes() {
        return 2.0;           // float32 inputs
    }

    public static double workFactor() {
        return 2.0;           // "twice the work"
    }
}
