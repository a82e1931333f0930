package org.memlean.exercises.ch04;

import java.util.SplittableRandom;
import org.memlean.nn.GptConfig;

/** Chapter 4 exercises: bf16's rounding, and what pure bf16 keeps. */
public final class Rounding {
    private Rounding() {}

    /**
     * Task 4.1: round each float32 value to a bfloat16 value stochastically, in place: up or down
     * (in magnitude) at random, with probability in proportion to the distance, so that the mean of
     * many roundings of one value is the value itself — and a value that already is a bf16 stays
     * exactly what it is.
     * <p>Hints: bf16 is the upper 16 bits of a float32. {@code Float.floatToRawIntBits}, add a random
     * integer in [0, 2¹⁶) to the bits, clear the low 16 bits ({@code & 0xFFFF0000}),
     * {@code Float.intBitsToFloat}. Why can the addition never change a value that is already a bf16?
     */
    public static void stochasticRound(float[] values, SplittableRandom random) {
        throw new UnsupportedOperationException("Task 4.1: stochastic rounding — not implemented yet. Hint: add 16 "
                + "random low bits to the float32 bits, then clear them");
    }

    /**
     * Task 4.2: the bytes a pure-bf16 GPT of {@code config} keeps across training steps — parameters,
     * their gradients (during the step) and its AdamW's state — with Kahan-compensated updates
     * ({@code kahan}) or without. The grader trains one and reads the meter.
     * <p>Hints: everything is bf16 (2 bytes): the parameters, the gradients, AdamW's two moments;
     * Kahan adds one compensation buffer per parameter. {@code config.parameterCount()}.
     */
    public static long keptBytes(GptConfig config, boolean kahan) {
        throw new UnsupportedOperationException("Task 4.2: what pure bf16 keeps — not implemented yet. Hint: count the "
                + "bf16 buffers per parameter: weight, gradient, two moments (and Kahan's compensation)");
    }
}
