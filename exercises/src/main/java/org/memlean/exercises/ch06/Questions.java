package org.memlean.exercises.ch06;

/** Chapter 6, reasoning questions: the grader checks the answer and then tells you why. */
public final class Questions {
    private Questions() {}

    /**
     * Question 6.3 (real scale): LoRA of rank 16 on the q, k, v and o projections of every block of
     * Llama-2-7B (32 blocks, hidden size 4096, q/k/v/o each 4096 → 4096). How many trainable
     * parameters? Exactly.
     */
    public static long llamaTrainableParameters() {
        throw new UnsupportedOperationException("Question 6.3: not answered yet");
    }

    /**
     * Question 6.4: with the base frozen, what share of backward's matmul FLOPs does skipping the
     * frozen weights' gradients save, about (LoRA's own small products aside)? Within 5 %.
     */
    public static double backwardShareSaved() {
        throw new UnsupportedOperationException("Question 6.4: not answered yet. Hint: what two products does a linear "
                + "layer's backward run?");
    }
}
