package org.memlean.exercises.ch02;

/** Chapter 2, reasoning questions: answer with a number; the grader checks it and then tells you why. */
public final class Questions {
    private Questions() {}

    /**
     * Question 2.3 (real scale): Llama-2-7B (32 blocks, hidden size 4096) trained at batch 1 on
     * sequences of 4096 tokens in bf16, with every block checkpointed. How many GiB (2³⁰ bytes) of
     * block inputs does forward keep? Within 1 %.
     */
    public static double keptInputsGibibytes() {
        throw new UnsupportedOperationException("Question 2.3: not answered yet. Hint: one tensor per block; its shape?");
    }

    /**
     * Question 2.4: checkpointing every block of a model, by what factor does a training step's matmul
     * work (FLOPs) grow? Within 2 %.
     */
    public static double workFactor() {
        throw new UnsupportedOperationException("Question 2.4: not answered yet. Hint: backward costs about twice forward");
    }
}
