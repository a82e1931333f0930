package org.memlean.exercises.ch00;

import org.memlean.nn.GptConfig;

/**
 * Warm-up: predict where the bytes of a training step go, before the meter tells you. Each answer
 * is graded against what the meter measures for several configurations — not against a number.
 * All tensors are FLOAT (4 bytes) here.
 */
public final class MemoryAnatomy {
    private MemoryAnatomy() {}

    /**
     * Task 0.1: bytes of all parameters of the GPT described by {@code config}.
     * Hint: two embedding tables (V×C, T×C), per block two layer norms (2C each), qkv (C×3C + 3C),
     * the attention projection (C×C + C), the MLP (C×4C + 4C and 4C×C + C); a final layer norm and
     * a head (C×V, no bias). Check yourself against {@code GptConfig.parameterCount()} afterwards.
     */
    public static long parameterBytes(GptConfig config) {
        throw new UnsupportedOperationException("Task 0.1: parameter bytes — not implemented yet. Hint: count "
                + "elements per layer (see the Javadoc) and multiply by 4 bytes");
    }

    /**
     * Task 0.2: bytes of AdamW's state once it has taken a step.
     * Hint: AdamW keeps two moments per parameter, each the parameter's size and dtype.
     */
    public static long adamStateBytes(GptConfig config) {
        throw new UnsupportedOperationException("Task 0.2: AdamW state bytes — not implemented yet. Hint: how many "
                + "moment buffers per parameter?");
    }

    /**
     * Task 0.3: bytes of activations saved for backward at the end of forward, for a batch of
     * {@code batch} sequences of length {@code time}, with the loss over the last {@code answer}
     * positions. Dropout is off.
     * Hint: per block, 16·B·T·C values (layer-norm inputs, linear inputs, q, k, v, the GELU's input
     * and output) plus B·H·T² (attention probabilities) plus 4·B·T (mean and 1/std of two layer
     * norms); after the blocks the final norm saves B·T·C + 2·B·T, the head saves B·T·C, the loss
     * saves its log-probabilities B·answer·V.
     */
    public static long savedActivationBytes(GptConfig config, long batch, long time, long answer) {
        throw new UnsupportedOperationException("Task 0.3: saved activation bytes — not implemented yet. Hint: "
                + "follow the Javadoc term by term, then multiply by 4 bytes");
    }
}
