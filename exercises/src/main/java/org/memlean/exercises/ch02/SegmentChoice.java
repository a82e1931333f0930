package org.memlean.exercises.ch02;

import org.memlean.nn.GptConfig;

/** Chapter 2 exercises: choosing how to checkpoint. */
public final class SegmentChoice {
    private SegmentChoice() {}

    /**
     * Task 2.2: the segment length k (1 ≤ k ≤ L) that makes a training step's activation memory
     * smallest when the GPT's L blocks are checkpointed in segments of k (FLOAT, dropout off, a batch
     * of {@code batch} sequences of {@code time} tokens, loss over the last {@code answer}).
     * <p>Hints: what does forward keep when a segment runs without saving? What is alive while
     * backward recomputes one segment — and is the head's and the loss's saved memory still alive
     * then? Write the activation memory as a function of k (chapter 2's notebook derives the one for
     * √L) and minimise it over every k. The grader's models include ones where k = 1 is not the best.
     */
    public static int bestSegmentLength(GptConfig config, long batch, long time, long answer) {
        throw new UnsupportedOperationException("Task 2.2: the best segment length — not implemented yet. Hint: "
                + "activation memory as a function of k, minimised over every k");
    }
}
