package org.memlean.exercises.ch04;

import java.util.SplittableRandom;

/**
 * Chapter 4 exercises: bf16's rounding, and its two fixes. A bf16 value is held here in a float
 * whose low 16 bits are zero (bf16 is the upper half of a float32).
 */
public final class Rounding {
    private Rounding() {}

    /**
     * Task 4.1: round each float32 value to a bf16 value stochastically, in place: up or down (in
     * magnitude) at random, with probability in proportion to the distance, so that the mean of many
     * roundings of one value is the value itself — and a value that already is a bf16 stays exactly
     * what it is.
     * <p>Hints: where in a float32's bits do bf16's bits end? What does adding a random number to the
     * bits that are cut off do, once they are cut? Why does it never change a value whose cut-off bits
     * are zero? ({@code Float.floatToRawIntBits} gives you the bits.)
     */
    public static void stochasticRound(float[] values, SplittableRandom random) {
        throw new UnsupportedOperationException("Task 4.1: stochastic rounding — not implemented yet. Hint: work on "
                + "the float32 bits that bf16 drops");
    }

    /**
     * Task 4.2: add the float32 updates {@code delta} to the bf16 {@code weights} in place with Kahan
     * compensation: {@code compensation} (bf16 too, zero at first) carries what the last rounding of
     * each weight lost, and the next update adds it back — so many updates too small to move a bf16
     * weight on their own still add up. Every value written must be a bf16 ({@link #nearestBf16}).
     * <p>Hints: Kahan's summation keeps a running error c: the update corrected by c, the new sum
     * rounded, and c = what the rounding really added minus what it meant to add (mind the sign
     * convention you choose). Graded over hundreds of updates against the exact sum, and on how many
     * updates plain rounding would have lost.
     */
    public static void kahanAdd(float[] weights, float[] compensation, float[] delta) {
        throw new UnsupportedOperationException("Task 4.2: Kahan-compensated update — not implemented yet. Hint: keep "
                + "what each rounding lost, and add it to the next update");
    }

    /** The bf16 value nearest {@code x} (ties to even), as a float: given, for Task 4.2. */
    public static float nearestBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if ((bits & 0x7F800000) == 0x7F800000) return x;                       // inf, NaN
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat((bits + rounding) & 0xFFFF0000);
    }
}
