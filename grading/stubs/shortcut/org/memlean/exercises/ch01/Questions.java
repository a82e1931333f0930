package org.memlean.exercises.ch01;

public final class Questions {
    private Questions() {}

    public static double peakFloorGigabytes() {
        return 0;            // "accumulate enough and anything fits"
    }

    public static double firstMicroBatchWeight() {
        return 0.5;          // 1/n
    }
}
