package org.memlean.exercises.ch04;

/** Chapter 4, reasoning questions: the grader checks the answer and then tells you why. */
public final class Questions {
    private Questions() {}

    /**
     * Question 4.3: a bf16 weight of exactly 1.0 receives an update +u, rounded to nearest (ties to
     * even). Below what u is the update lost entirely (the weight stays 1.0)? Within 0.1 %.
     */
    public static double largestLostUpdate() {
        throw new UnsupportedOperationException("Question 4.3: not answered yet. Hint: bf16 keeps 8 significant bits");
    }

    /**
     * Question 4.4 (real scale): pure bf16 training of Llama-2-13B (13,015,864,320 parameters): bf16
     * weights, gradients and AdamW moments, and Kahan's compensation buffer. How many GB (10⁹ bytes)
     * of model states? Within 1 %.
     */
    public static double modelStatesGigabytes() {
        throw new UnsupportedOperationException("Question 4.4: not answered yet. Hint: count the bf16 buffers a parameter has");
    }
}
