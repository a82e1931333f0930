package org.memlean.exercises.ch04;

import java.util.SplittableRandom;
import org.memlean.nn.GptConfig;

/** Chapter 4 exercises, solved. */
public final class Rounding {
    private Rounding() {}

    /** Task 4.1: 16 random low bits added to the float32 bits, then cleared: a carry into bit 16 means "up". */
    public static void stochasticRound(float[] values, SplittableRandom random) {
        for (int i = 0; i < values.length; i++) {
            int bits = Float.floatToRawIntBits(values[i]);
            values[i] = Float.intBitsToFloat((bits + random.nextInt(1 << 16)) & 0xFFFF0000);
        }
    }

    /** Task 4.2: weight, gradient, exp_avg, exp_avg_sq — and Kahan's compensation — at 2 bytes each. */
    public static long keptBytes(GptConfig config, boolean kahan) {
        return (kahan ? 5 : 4) * 2L * config.parameterCount();
    }
}
