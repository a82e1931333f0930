package org.memlean.lab;

import java.util.Arrays;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;

/** Runs a trial under a fresh meter and turns what it measured into a {@link Measurement}. */
public final class Experiment {
    private Experiment() {}

    /** The body of one arm: runs its training steps and returns the per-step times and the last loss. */
    @FunctionalInterface
    public interface Trial {
        Outcome run();
    }

    /** Per-step wall times in milliseconds and the last step's loss. */
    public record Outcome(double[] stepMillis, double finalLoss) {
        public double medianStepMillis() {
            double[] sorted = stepMillis.clone();
            Arrays.sort(sorted);
            if (sorted.length == 0) return 0;
            int mid = sorted.length / 2;
            return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    /** One training step of a trial: returns its loss. */
    @FunctionalInterface
    public interface Step {
        double run(int index);
    }

    /** Runs {@code steps} steps, timing each: the usual body of a trial. */
    public static Outcome timed(int steps, Step step) {
        double[] millis = new double[steps];
        double loss = Double.NaN;
        for (int i = 0; i < steps; i++) {
            long start = System.nanoTime();
            loss = step.run(i);
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        return new Outcome(millis, loss);
    }

    /**
     * Measures {@code trial}: lets stray arrays settle first, then runs it with a meter bound to
     * this thread. Whatever the trial creates (model included) counts in the measurement.
     */
    public static Measurement measure(String name, Trial trial) {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start(name)) {
            Outcome outcome = trial.run();
            return new Measurement(name, meter.peakBytes(), meter.peakByCategory(), outcome.medianStepMillis(),
                    outcome.finalLoss(), meter.timeline());
        }
    }
}
