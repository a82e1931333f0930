package org.memlean.exercises.ch03;

/** Solution of Task 3.2. */
public final class Scaling {
    private Scaling() {}

    public record State(double scale, int cleanSteps) {}

    public static State update(State state, boolean overflow, double growth, double backoff, int interval) {
        if (overflow) return new State(state.scale() * backoff, 0);
        int clean = state.cleanSteps() + 1;
        return clean >= interval ? new State(state.scale() * growth, 0) : new State(state.scale(), clean);
    }
}
