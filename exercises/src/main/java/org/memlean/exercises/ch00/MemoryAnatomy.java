package org.memlean.exercises.ch00;

import org.memlean.nn.GptConfig;

/**
 * Chapter 0 (the anatomy of a step): predict where a training step's bytes go, before the meter
 * tells you. Everything is FLOAT (4 bytes a value), dropout off, AdamW. Each answer is graded against
 * what the meter measures for configurations drawn at random — so it must hold for any GPT of the
 * course's family, not for the default one. You may not build the model or run it here: predict.
 */
public final class MemoryAnatomy {
    private MemoryAnatomy() {}

    /**
     * Task 0.1: the bytes of activations saved for backward at the end of forward, for a batch of
     * {@code batch} sequences of {@code time} tokens with the loss over the last {@code answer}
     * positions.
     * <p>Hints: ask of every op in a block what its backward reads. A product with a weight needs its
     * input (for the weight's gradient) — which products are there, and how wide are their inputs?
     * Attention's two products need q, k and v; what does softmax's backward need, and how many
     * values is that (H heads of T × T)? GELU needs its input, the next product its output. A layer
     * norm keeps its input and, per row, two statistics. After the blocks: the final norm, the head,
     * and the loss (what does cross-entropy keep, for how many positions?). Notebook 00's table and
     * {@code ./memlean anatomy} let you check a guess for the default model.
     */
    public static long savedActivationBytes(GptConfig config, long batch, long time, long answer) {
        throw new UnsupportedOperationException("Task 0.1: saved activation bytes — not implemented yet. Hint: list "
                + "what each op's backward reads, count its values, times 4 bytes");
    }

    /** Where a step's memory peaks: how many bytes it holds then, and in which phase. */
    public record Peak(long bytes, String phase) {}

    /**
     * Task 0.2: the peak of an AdamW training step — its second one, when AdamW's state exists — on
     * the reversal task ({@code digits} digits: T = 2·digits tokens, the loss over the last
     * {@code digits}) at batch {@code batch}: the most bytes the step holds <em>above</em> what stays
     * between steps (the parameters and AdamW's state), and the phase it falls in: "backward" or
     * "optimizer". Graded within 15 % on the bytes; the phase must be right unless the two moments
     * are within 15 % of each other.
     * <p>Hints: there are two candidates. Early in backward, the saved activations are still alive and
     * the first gradients and backward's scratch appear beside them — the MLP's backward is the
     * widest op (its hidden layer is 4C wide, and its backward holds several such buffers at once;
     * measure once with the meter to see how many). At the optimizer step the activations are gone,
     * but every parameter has its gradient, and AdamW reserves scratch the size of the largest
     * parameter. Which is larger depends on the batch: try a batch of 1 and one of 32 in notebook 00.
     */
    public static Peak peak(GptConfig config, int batch, int digits) {
        throw new UnsupportedOperationException("Task 0.2: the step's peak — not implemented yet. Hint: compare "
                + "the early-backward moment with the optimizer's moment");
    }
}
