package org.memlean.exercises.ch06;

import java.util.Set;
import org.memlean.nn.GptConfig;

/** Chapter 6: counting what LoRA trains. */
public final class LowRank {
    private LowRank() {}

    /**
     * Task 6.2: the trainable parameters LoRA of rank {@code rank} adds to the course's GPT of
     * {@code config} when it adapts {@code targets} — any of "q", "k", "v", "o" (the attention's
     * output projection), "up", "down" (the MLP's projections) — in every block. Graded against the
     * framework's count at configurations drawn at random.
     * <p>Hints: what are the shapes of the two matrices LoRA adds to a projection from {@code in} to
     * {@code out} features? How wide is each of the six projections of a block (chapter 6's notebook
     * draws the block)?
     */
    public static long trainableParameters(GptConfig config, Set<String> targets, int rank) {
        throw new UnsupportedOperationException("Task 6.2: LoRA's trainable parameters — not implemented yet. Hint: "
                + "the two matrices per adapted projection, per block");
    }
}
