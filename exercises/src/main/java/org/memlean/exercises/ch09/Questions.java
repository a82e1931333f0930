package org.memlean.exercises.ch09;

import java.util.Set;

/** Chapter 9, reasoning questions: the grader checks the answer and then tells you why. */
public final class Questions {
    private Questions() {}

    /**
     * Question 9.3: which of "relu", "sigmoid", "tanh", "gelu", "softmax", "dropout", "layer norm" can
     * overwrite its input while autograd records, with a correct backward?
     */
    public static Set<String> inPlaceWhileRecording() {
        throw new UnsupportedOperationException("Question 9.3: not answered yet. Hint: what does each one's backward read?");
    }

    /**
     * Question 9.4 (real scale): inference of Llama-2-7B in bf16 at batch 1 and 4,096 tokens. Its MLP
     * computes silu(gate) · up, gate and up each (B, T, 11,008). How many bytes does writing the product
     * into an existing buffer, instead of a new one, save at that moment? Exactly.
     */
    public static long swigluProductBytes() {
        throw new UnsupportedOperationException("Question 9.4: not answered yet");
    }
}
