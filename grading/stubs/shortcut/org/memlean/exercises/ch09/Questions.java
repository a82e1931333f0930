package org.memlean.exercises.ch09;

import java.util.Set;

public final class Questions {
    private Questions() {}

    public static Set<String> inPlaceWhileRecording() {
        return Set.of("relu", "sigmoid", "tanh", "gelu", "softmax", "dropout");
    }

    public static long swigluProductBytes() {
        return 4096L * 11_008 * 4;
    }
}
