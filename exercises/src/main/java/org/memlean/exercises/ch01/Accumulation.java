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
     * <p>Hints: {@code model.loss(inputs, targets)} is the mean over one micro-batch's tokens; weight
     * it by that micro-batch's share of the tokens ({@code targets().length()}), not by 1/n — the
     * micro-batches may differ in size. Run each micro-batch inside its own {@code Scope} so that its
     * activations are freed before the next one: the grader checks that only one micro-batch's
     * activations are ever alive.
     */
    public static double accumulate(Gpt model, List<Batch> microBatches) {
        throw new UnsupportedOperationException("Task 1.1: the accumulation loop — not implemented yet. Hint: "
                + "for each micro-batch, in its own Scope: loss × (its tokens / all tokens), then backward()");
    }

    /**
     * Task 1.2: the smallest number of micro-batches n (a divisor of {@code batch}) with which one
     * AdamW training step of a fresh {@code new Gpt(config)} on the reversal task ({@code digits}
     * digits) fits in a device of {@code budgetBytes} — model, optimizer state and all. Return -1 if
     * no n fits.
     * <p>Hints: the activations fall as 1/n, but the peak also holds parameters, gradients, AdamW's
     * moments and backward's transients, so a formula alone is fragile. The robust way is the one a
     * practitioner uses: try it. {@code DeviceBudget.of(budgetBytes)} inside a fresh
     * {@code MemoryMeter} gives you exactly that device, and a {@code DeviceOutOfMemoryException}
     * tells you n was too small.
     */
    public static int smallestAccumulation(GptConfig config, int batch, int digits, long budgetBytes) {
        throw new UnsupportedOperationException("Task 1.2: choose n for a budget — not implemented yet. Hint: try "
                + "n = 1, 2, … (divisors of the batch) under DeviceBudget.of(budgetBytes) until one step fits");
    }
}
