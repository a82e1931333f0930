package org.memlean.grading;

import java.util.Arrays;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Training;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;

/**
 * How fast this machine is now: the median of a few training steps of the default GPT, against the
 * same steps on an idle 2-core machine. A graded test's time limit is multiplied by the ratio (never
 * below 1), so correct work that a loaded laptop runs slowly is not cut off.
 */
final class Calibration {
    /** The workload's median step on an idle 2-core machine (measured when the limit was set: 48–55 ms). */
    static final double REFERENCE_MILLIS = 50;

    private Calibration() {}

    /** This machine's step time over the reference's, at least 1. */
    static double slowdown() {
        double[] steps = new double[7];
        Rng.seed(1);
        try (Gpt model = new Gpt(GptConfig.defaults()); AdamW adam = new AdamW(model.parameters(), 1e-3)) {
            ReversalTask task = new ReversalTask(8, 1);
            for (int i = 0; i < 10; i++) Training.step(model, adam, task, 16);   // the JIT warms up
            for (int i = 0; i < steps.length; i++) {
                long t0 = System.nanoTime();
                Training.step(model, adam, task, 16);
                steps[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(steps);
        return Math.max(1, steps[steps.length / 2] / REFERENCE_MILLIS);
    }
}
