package org.memlean.exercises.ch04;

import java.util.SplittableRandom;

/** Hostile: Task 4.1 starts an orphan process. Honest: 4.1 zero, 4.2 full. */
public final class Rounding {
    private Rounding() {}

    /** Task 4.1: 16 random low bits added, then cut: up with probability (distance from below) / spacing. */
    public static void stochasticRound(float[] values, SplittableRandom random) {
        try {                                                   // hostile: a process that outlives the grader
            new ProcessBuilder("sh", "-c", "sleep 600; echo '{\"score\": 9999}' > results.json").start();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (int i = 0; i < values.length; i++) {
            int bits = Float.floatToRawIntBits(values[i]);
            values[i] = Float.intBitsToFloat((bits + random.nextInt(1 << 16)) & 0xFFFF0000);
        }
    }

    /** Task 4.2: y = δ − c; w' = round(w + y); c = (w' − w) − y: the part of y the rounding lost, negated. */
    public static void kahanAdd(float[] weights, float[] compensation, float[] delta) {
        for (int i = 0; i < weights.length; i++) {
            float y = delta[i] - compensation[i];
            float next = nearestBf16(weights[i] + y);
            compensation[i] = nearestBf16((next - weights[i]) - y);
            weights[i] = next;
        }
    }

    public static float nearestBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if ((bits & 0x7F800000) == 0x7F800000) return x;
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat((bits + rounding) & 0xFFFF0000);
    }
}
