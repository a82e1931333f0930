package org.memlean.exercises.ch00;

/**
 * Chapter 0, reasoning questions: answer with a number (a method that returns it). The grader checks
 * it with a tolerance and, once it is right, tells you why.
 */
public final class Questions {
    private Questions() {}

    /**
     * Question 0.3 (real scale): full fine-tuning of Llama-2-7B (6,738,415,616 parameters) with mixed
     * precision as DeepSpeed and the ZeRO paper count it — bf16 weights and gradients, float32 master
     * weights and AdamW's two float32 moments. How many GiB (2³⁰ bytes) do these model states take,
     * before a single activation? Within 1 %.
     */
    public static double modelStatesGibibytes() {
        throw new UnsupportedOperationException("Question 0.3: not answered yet. Hint: bytes per parameter, "
                + "summed over the five kinds of state");
    }

    /**
     * Question 0.4 (read it off): in {@code ./memlean anatomy} (the default step: L = 2, B = 32, 8
     * digits), by how many KiB does the step's measured peak lie above the bytes live at the end of
     * forward? Within 5 %.
     */
    public static double peakAboveEndOfForwardKibibytes() {
        throw new UnsupportedOperationException("Question 0.4: not answered yet. Hint: run ./memlean anatomy and "
                + "read two totals");
    }
}
