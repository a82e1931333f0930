package org.memlean.ch03;

import org.memlean.lab.Anatomy;
import org.memlean.memory.Category;
import org.memlean.nn.GptConfig;

/**
 * Saved activations at the end of forward, float32 and under autocast to float16 (bytes, dropout off).
 *
 * <p>Under autocast, per block: the two layer norms still save their float32 inputs (2·BTC·4) and
 * float32 mean and 1/std (4·BT·4); softmax runs in float32 and saves its float32 output (B·H·T²·4),
 * and the next matmul saves a float16 copy of it too (B·H·T²·2); the four linear layers and the
 * attention matmuls save float16 inputs — q, k, v, the merged heads, the two norm outputs, the GELU's
 * input and output: 14·BTC·2 — and float16 copies of the four weight matrices (12·C²·2).
 * After the blocks: the final norm (BTC·4 + 2·BT·4), the head's float16 input and weight copy
 * (BTC·2 + C·V·2), and the loss's float32 log-probabilities (B·N·V·4).
 */
public final class Formula {
    private Formula() {}

    public static long float32(GptConfig c, long b, long t, long n) {
        return Anatomy.predictEndOfForward(c, b, t, n).get(Category.ACTIVATION);
    }

    /**
     * A model stored in float16 (form b): every saved activation at 2 bytes, except the layer norms'
     * per-row mean and 1/std, which stay float32 as PyTorch keeps them ((2L + 1) norms × 2·BT values).
     */
    public static long float16Storage(GptConfig c, long b, long t, long n) {
        long normStatistics = (2L * c.layers() + 1) * 2 * b * t;
        return float32(c, b, t, n) / 2 + normStatistics * 2;
    }

    public static long autocast(GptConfig c, long b, long t, long n) {
        long ch = c.channels();
        long btc = b * t * ch;
        long bt = b * t;
        long bhtt = b * c.heads() * t * t;
        long block = 2 * btc * 4 + 4 * bt * 4 + bhtt * 4 + bhtt * 2 + 14 * btc * 2 + 12 * ch * ch * 2;
        long head = btc * 4 + 2 * bt * 4 + btc * 2 + ch * c.vocabSize() * 2 + b * n * c.vocabSize() * 4;
        return c.layers() * block + head;
    }
}
