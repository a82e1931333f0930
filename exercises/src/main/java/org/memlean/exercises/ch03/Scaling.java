package org.memlean.exercises.ch03;

import java.util.List;
import org.memlean.tensor.Tensor;

/** Chapter 3 exercises: dynamic loss scaling. */
public final class Scaling {
    private Scaling() {}

    /** A loss scaler's state: the scale and the count of clean steps in a row. */
    public record State(double scale, int cleanSteps) {}

    /**
     * Task 3.1: the scaler's update rule, PyTorch's GradScaler: on overflow, multiply the scale by
     * {@code backoff} and reset the clean-step count; otherwise count the clean step, and when the
     * count reaches {@code interval}, multiply the scale by {@code growth} and reset the count.
     */
    public static State update(State state, boolean overflow, double growth, double backoff, int interval) {
        throw new UnsupportedOperationException("Task 3.1: the scaler's update rule — not implemented yet. Hint: "
                + "two cases; the clean-step count restarts at 0 after growing and after backing off");
    }

    /**
     * Task 3.2: unscale and check. Divide every parameter's gradient by {@code scale}, in place, and
     * return whether any gradient holds an inf or a NaN (then the optimizer must skip this step).
     * Parameters without a gradient are skipped.
     * <p>Hints: {@code Kernels.scale(g.array(), 1 / scale, g.array())} scales in place; a sum over all
     * elements is not finite exactly when some element is inf or NaN ({@code Kernels.sum} into a
     * one-element buffer from an {@code OpScope}, then {@code Double.isFinite}). Gradients here are
     * float32 (autocast keeps float32 weights).
     */
    public static boolean unscaleAndCheck(List<Tensor> parameters, double scale) {
        throw new UnsupportedOperationException("Task 3.2: unscale and check — not implemented yet. Hint: scale each "
                + "gradient by 1/scale in place, then test whether its sum is finite");
    }
}
