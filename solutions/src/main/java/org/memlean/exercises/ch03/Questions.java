package org.memlean.exercises.ch03;

import java.util.Set;

/** Answers of the chapter 3 questions. */
public final class Questions {
    private Questions() {}

    /** The sum grows by the step's rounding: exact to 8, too fast above 16 (0.01 rounds up to the spacing 2⁻⁶). */
    public static double float16SumOfOneHundredths() {
        float sum = 0;
        float step = halfRound(0.01f);
        for (int i = 0; i < 1000; i++) sum = halfRound(sum + step);
        return sum;
    }

    /** Round a float to the nearest float16 (ties to even), staying in float. */
    private static float halfRound(float x) {
        if (x == 0) return 0;
        int exponent = Math.getExponent(x);
        float spacing = Math.scalb(1f, Math.max(exponent, -14) - 10);
        return (float) (Math.rint(x / spacing) * spacing);
    }

    /** The products (qkv, q·kᵀ) give float16; GELU, not in the table, keeps its float16 input's type. */
    public static Set<String> float16Tensors() {
        return Set.of("qkv output", "attention scores", "GELU output");
    }
}
