package org.memlean.exercises.ch07;

/** Chapter 7, reasoning questions: the grader checks the answer and then tells you why. */
public final class Questions {
    private Questions() {}

    /**
     * Question 7.3 (real scale): full fine-tuning of Llama-2-13B (13,015,864,320 parameters) with bf16
     * weights and gradients, float32 masters and AdamW moments, under ZeRO-3 on 80 GB GPUs. Counting
     * only these model states, what is the fewest GPUs it fits on? Exactly.
     */
    public static long gpusForThirteenBillion() {
        throw new UnsupportedOperationException("Question 7.3: not answered yet");
    }

    /** Question 7.4: the bytes a rank sends per step under ZeRO-3, over DDP's. Within 1 %. */
    public static double zero3OverDdpTraffic() {
        throw new UnsupportedOperationException("Question 7.4: not answered yet. Hint: which collectives does each run, "
                + "and how often?");
    }
}
