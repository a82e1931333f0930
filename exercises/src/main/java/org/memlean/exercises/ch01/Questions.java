package org.memlean.exercises.ch01;

/** Chapter 1, reasoning questions: answer with a number; the grader checks it and then tells you why. */
public final class Questions {
    private Questions() {}

    /**
     * Question 1.3 (real scale): full fine-tuning of Llama-2-7B (6,738,415,616 parameters), mixed
     * precision with float32 masters and AdamW (16 bytes a parameter of model states). However many
     * micro-batches you accumulate over, the step's peak cannot fall below a floor. What is it, in GB
     * (10⁹ bytes)? Within 1 %.
     */
    public static double peakFloorGigabytes() {
        throw new UnsupportedOperationException("Question 1.3: not answered yet. Hint: what does accumulation shrink, "
                + "and what does it leave alone?");
    }

    /**
     * Question 1.4: a batch of three sequences whose losses cover 10, 20 and 30 target tokens is split
     * into two micro-batches, [10] and [20, 30]. Each micro-batch's loss is the mean over its own
     * tokens. By what factor must the first micro-batch's loss be multiplied before its backward, so
     * that the accumulated gradient is the whole batch's? Within 0.1 %.
     */
    public static double firstMicroBatchWeight() {
        throw new UnsupportedOperationException("Question 1.4: not answered yet. Hint: not 1/2");
    }
}
