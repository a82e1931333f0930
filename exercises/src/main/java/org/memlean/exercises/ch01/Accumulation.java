package org.memlean.exercises.ch01;

import java.util.List;
import org.memlean.data.Batch;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;

/** Chapter 1 exercises: gradient accumulation. */
public final class Accumulation {
    private Accumulation() {}

    /**
     * Task 1.1: run forward and backward on each micro-batch in turn so that, afterwards, every
     * parameter's {@code grad()} holds the gradient of the mean loss over <em>all</em> target tokens
     * of all micro-batches — what one big batch would give. Do not step an optimizer. Return that
     * mean loss.
     * <p>Hints: {@code model.loss(inputs, targets)} is a mean — over what? The micro-batches may
     * differ in size: what weight makes a sum of their means the mean over every token? The grader
     * also checks that only one micro-batch's activations are ever alive: when must they go?
     */
    public static double accumulate(Gpt model, List<Batch> microBatches) {
        throw new UnsupportedOperationException("Task 1.1: the accumulation loop — not implemented yet. Hint: "
                + "what weight makes the micro-batches' mean losses add up to the mean over every token?");
    }

    /**
     * Task 1.2: the smallest number of micro-batches n (a divisor of {@code batch}) with which one
     * AdamW training step of a fresh {@code new Gpt(config)} on the reversal task ({@code digits}
     * digits) fits in a device of {@code budgetBytes} — model, optimizer state and all. Return -1 if
     * no n fits.
     * <p>Hints: the activations fall as 1/n, but the peak holds more than activations, so a formula
     * alone is fragile. What does a practitioner do with a real GPU? The framework gives you a device
     * of any size (chapter 1's notebook shows how), and tells you when a step does not fit.
     */
    public static int smallestAccumulation(GptConfig config, int batch, int digits, long budgetBytes) {
        throw new UnsupportedOperationException("Task 1.2: choose n for a budget — not implemented yet. Hint: how "
                + "would you find out on a real GPU?");
    }
}
