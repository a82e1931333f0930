package org.memlean.lab;

import java.util.List;
import java.util.Map;
import org.memlean.memory.Category;
import org.memlean.memory.MemoryEvent;

/**
 * What one arm of an experiment measured.
 *
 * @param name the arm's name ("float32", "√L segments", …)
 * @param peakBytes the measured peak (the backend counter's highest reading above the start)
 * @param peakByCategory the ledger by category at that peak (sums to peakBytes)
 * @param timing wall time of a training step, from interleaved rounds after a warm-up
 * @param work one (steady-state) step's counted work
 * @param losses the loss of each step of the measured run
 * @param timeline every allocation, release and phase mark of the measured run, for charts
 */
public record Measurement(String name, long peakBytes, Map<Category, Long> peakByCategory, Timing timing,
                          StepWork work, double[] losses, List<MemoryEvent> timeline) {
    /** Median wall time of one step, in milliseconds. */
    public double stepMillis() {
        return timing.median();
    }

    /** The loss of the last step. */
    public double finalLoss() {
        return losses.length == 0 ? Double.NaN : losses[losses.length - 1];
    }
}
