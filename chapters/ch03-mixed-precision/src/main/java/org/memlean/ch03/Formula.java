package org.memlean.ch03;

import org.memlean.nn.GptConfig;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Saved activations at the end of forward, float32, float16 storage and autocast to float16 (bytes,
 * dropout off) — the course's formulas, written once in {@link GptConfig}.
 */
public final class Formula {
    private Formula() {}

    public static long float32(GptConfig c, long b, long t, long n) {
        return c.withDataType(DataType.FLOAT).savedActivationBytes(b, t, n);
    }

    /**
     * A model stored in float16 (form b): every saved activation at 2 bytes, except the layer norms'
     * per-row mean and 1/std, which stay float32 as PyTorch keeps them.
     */
    public static long float16Storage(GptConfig c, long b, long t, long n) {
        return c.withDataType(DataType.HALF).savedActivationBytes(b, t, n);
    }

    /** Autocast to float16 with float32 weights (see {@link GptConfig#autocastSavedActivationBytes}). */
    public static long autocast(GptConfig c, long b, long t, long n) {
        return c.autocastSavedActivationBytes(b, t, n);
    }
}
