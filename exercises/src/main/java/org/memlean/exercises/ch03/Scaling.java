package org.memlean.exercises.ch03;

/** Chapter 3 exercises: dynamic loss scaling. */
public final class Scaling {
    private Scaling() {}

    /** A loss scaler's state: the scale and the count of clean steps in a row. */
    public record State(double scale, int cleanSteps) {}

    /**
     * Task 3.2: the scaler's update rule, PyTorch's GradScaler (chapter 3's notebook cites it): after a
     * step that overflowed, and after one that did not. Graded on random sequences of steps.
     * <p>Hints: what happens to the scale, and to the count of clean steps in a row, in each case?
     * When does the scale grow?
     */
    public static State update(State state, boolean overflow, double growth, double backoff, int interval) {
        throw new UnsupportedOperationException("Task 3.2: the scaler's update rule — not implemented yet. Hint: "
                + "two cases, and a count");
    }
}
