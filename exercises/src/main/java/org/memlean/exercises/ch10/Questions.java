package org.memlean.exercises.ch10;

/** Chapter 10, reasoning questions: the grader checks the answer and then tells you why. */
public final class Questions {
    private Questions() {}

    /**
     * Question 10.3 (real scale): ALBERT-xxlarge — vocabulary 30,000, 512 positions, 2 token types,
     * E = 128, H = 4096, 12 layers sharing one block with a 16,384-wide feed-forward — without its pooler.
     * How many parameters? Exactly.
     */
    public static long albertXxlargeWithoutPooler() {
        throw new UnsupportedOperationException("Question 10.3: not answered yet");
    }

    /**
     * Question 10.4: training ALBERT with all 12 layers shared, against the same model unshared: the
     * activations saved for backward, shared over unshared? Within 1 %.
     */
    public static double sharedOverUnsharedActivations() {
        throw new UnsupportedOperationException("Question 10.4: not answered yet");
    }
}
