package org.memlean.exercises.ch08;

/** Chapter 8, reasoning questions: the grader checks the answer and then tells you why. */
public final class Questions {
    private Questions() {}

    /**
     * Question 8.3 (real scale): a loop that keeps each step's float32 logits "to compute metrics
     * later", training Llama-3-8B (vocabulary 128,256) at batch 1 on 4,096-token sequences. How many GiB
     * (2³⁰ bytes) does it leak a step? Within 1 %.
     */
    public static double keptLogitsGibibytesPerStep() {
        throw new UnsupportedOperationException("Question 8.3: not answered yet");
    }

    /**
     * Question 8.4: an evaluation pass under no-grad: what share of the activations a training step's
     * forward saves does it save? Within 1 % (of 1).
     */
    public static double shareSavedUnderNoGrad() {
        throw new UnsupportedOperationException("Question 8.4: not answered yet");
    }
}
