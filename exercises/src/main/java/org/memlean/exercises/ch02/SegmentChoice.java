package org.memlean.exercises.ch02;

import org.memlean.nn.GptConfig;

/** Chapter 2 exercises: choosing how to checkpoint. */
public final class SegmentChoice {
    private SegmentChoice() {}

    /**
     * Task 2.2: the segment length k (1 ≤ k ≤ L) that makes a training step's activation memory
     * smallest when the GPT's L blocks are checkpointed in segments of k (FLOAT, dropout off, a batch
     * of {@code batch} sequences of {@code time} tokens, loss over the last {@code answer}).
     * <p>Hints: forward keeps each segment's input (B·T·C values, ⌈L/k⌉ of them); backward recomputes
     * one segment at a time, k blocks of 16·BTC + B·H·T² + 4·BT values (its first input is already
     * kept); after the blocks, the final norm, the head and the loss save 2·BTC + 2·BT + B·N·V, which
     * are gone before any recomputation. Minimise over k — and don't assume the answer is √L.
     */
    public static int bestSegmentLength(GptConfig config, long batch, long time, long answer) {
        throw new UnsupportedOperationException("Task 2.2: the best segment length — not implemented yet. Hint: "
                + "write the activation memory as a function of k from the Javadoc and try every k");
    }
}
