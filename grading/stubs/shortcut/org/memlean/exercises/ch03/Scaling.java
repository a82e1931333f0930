package org.memlean.exercises.ch03;

/** Shortcut: the default's rule without the clean-step count (grow after every clean step). */
public final class Scaling {
    private Scaling() {}

    public record State(double scale, int cleanSteps) {}

    public static State update(State state, boolean overflow, double growth, double backoff, int interval) {
        return new State(overflow ? state.scale() * backoff : state.scale() * growth, 0);
    }
}
