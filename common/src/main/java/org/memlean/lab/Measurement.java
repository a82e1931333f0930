package org.memlean.lab;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.memlean.memory.Category;
import org.memlean.memory.LeakCheck;
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
 * @param liveAfterStep the ledger's live bytes after each step of the measured run (a leak grows them)
 * @param reference the index of the arm this one is compared with (itself for a baseline)
 */
public record Measurement(String name, long peakBytes, Map<Category, Long> peakByCategory, Timing timing,
                          StepWork work, double[] losses, List<MemoryEvent> timeline, long[] liveAfterStep,
                          int reference) {
    /**
     * Bytes the live total grew per step, fitted over every step but the first (which may create
     * state that is kept, such as AdamW's moments); 0 to the byte when nothing leaks.
     */
    public double growthPerStep() {
        return liveAfterStep.length < 3 ? 0 : LeakCheck.slope(
                Arrays.copyOfRange(liveAfterStep, 1, liveAfterStep.length));
    }

    /** Median wall time of one step, in milliseconds. */
    public double stepMillis() {
        return timing.median();
    }

    /** The loss of the last step. */
    public double finalLoss() {
        return losses.length == 0 ? Double.NaN : losses[losses.length - 1];
    }
}
