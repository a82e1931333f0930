package org.memlean.exercises.ch06;

public final class Questions {
    private Questions() {}

    public static long llamaTrainableParameters() {
        return 32L * 4 * 16 * 4096;     // r·in only
    }

    public static double backwardShareSaved() {
        return 1.0 / 3;                  // "a third of backward"
    }
}
