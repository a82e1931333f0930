package org.memlean.exercises.ch03;

/** Hostile: a device limit of one byte set when the class loads. Honest: 3.2 zero (forbidden), 3.1 untouched. */
public final class Scaling {
    static {
        org.memlean.memory.Device.setLimitBytes(1);       // hostile: a one-byte device for every task after this
    }

    private Scaling() {}

    public record State(double scale, int cleanSteps) {}

    public static State update(State state, boolean overflow, double growth, double backoff, int interval) {
        if (overflow) return new State(state.scale() * backoff, 0);
        int clean = state.cleanSteps() + 1;
        return clean >= interval ? new State(state.scale() * growth, 0) : new State(state.scale(), clean);
    }
}
