package org.memlean.ch01;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Chapter;
import org.memlean.lab.Experiment;
import org.memlean.lab.Report;
import org.memlean.lab.Size;
import org.memlean.lab.Training;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;

/** Chapter 1's experiment: one batch of B against n micro-batches of B/n (n = 2, 4, 8), same steps, same data. */
public final class GradientAccumulationChapter implements Chapter {
    /** Sizes of the experiment. */
    public record Setup(int batch, int microBatches, int digits, int steps) {
        public int microBatch() {
            return batch / microBatches;
        }
    }

    public static Setup setup(Size size) {
        return size == Size.QUICK ? new Setup(16, 4, 4, 2) : new Setup(64, 4, 8, 6);
    }

    @Override
    public int number() {
        return 1;
    }

    @Override
    public String title() {
        return "Gradient Accumulation（梯度累积）";
    }

    @Override
    public String technique() {
        return "gradient accumulation (n = 4)";
    }

    /** The numbers of micro-batches the experiment compares; n = 1 is the baseline, n = 4 the headline. */
    public static final int[] ARMS = {1, 2, 4, 8};

    @Override
    public Report run(Size size) {
        Setup s = setup(size);
        GptConfig config = GptConfig.defaults();
        List<Experiment.Arm> arms = new ArrayList<>();
        for (int n : ARMS) {
            String name = n == 1 ? "one batch of " + s.batch() : n + " micro-batches of " + s.batch() / n;
            arms.add(Experiment.arm(name, () -> session(config, s, n)));
        }
        int t = 2 * s.digits();
        Map<String, Long> predicted = new LinkedHashMap<>();
        predicted.put("activations, one batch", activationBytes(config, s.batch(), t, s.digits()));
        predicted.put("activations, one micro-batch of n = 4", activationBytes(config, s.microBatch(), t, s.digits()));
        predicted.put("parameters + gradients + AdamW", 16L * config.parameterCount());
        return Experiment.report(this, size, arms, s.steps(), indexOf(s.microBatches()), predicted);
    }

    private static int indexOf(int n) {
        for (int i = 0; i < ARMS.length; i++) if (ARMS[i] == n) return i;
        throw new IllegalArgumentException("n = " + n + " is not an arm");
    }

    /** One row of the sweep over n: what the meter measured for one accumulated step. */
    public record SweepRow(int n, int microBatch, long peakBytes, long activationBytes, long predictedActivationBytes,
                           double millis) {}

    /**
     * For each n, a steady-state accumulated step of the same batch (after a warm-up step that creates
     * AdamW's state), measured: the chapter's table.
     */
    public static List<SweepRow> sweep(int batch, int digits, int... ns) {
        GptConfig config = GptConfig.defaults();
        List<SweepRow> rows = new ArrayList<>();
        for (int n : ns) {
            if (batch % n != 0) throw new IllegalArgumentException("n = " + n + " does not divide the batch " + batch);
            Rng.seed(17);
            ReversalTask task = new ReversalTask(digits, 23);
            long empty = Device.settle();
            try (Gpt model = new Gpt(config); AdamW optimizer = new AdamW(model.parameters(), 1e-3)) {
                GradientAccumulation.step(model, optimizer, () -> task.next(batch / n), n);
                try (MemoryMeter meter = MemoryMeter.start("n=" + n, false)) {
                    long start = System.nanoTime();
                    GradientAccumulation.step(model, optimizer, () -> task.next(batch / n), n);
                    double millis = (System.nanoTime() - start) / 1e6;
                    // the step's peak above what it started with, plus what it started with: parameters and AdamW's state
                    long resident = meter.backendStartBytes() - empty;
                    rows.add(new SweepRow(n, batch / n, resident + meter.peakBytes(),
                            meter.maxByCategory().get(Category.ACTIVATION),
                            activationBytes(config, batch / n, 2L * digits, digits), millis));
                }
            }
        }
        return rows;
    }

    /** The loss of each step, trained with one batch of B and with n micro-batches of B/n. */
    public static Map<String, double[]> lossCurves(int batch, int n, int digits, int steps) {
        Map<String, double[]> curves = new LinkedHashMap<>();
        for (int mode : new int[] {1, n}) {
            Rng.seed(17);
            ReversalTask task = new ReversalTask(digits, 23);
            double[] losses = new double[steps];
            try (Gpt model = new Gpt(GptConfig.defaults())) {
                AdamW optimizer = new AdamW(model.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0.0);
                for (int i = 0; i < steps; i++) {
                    losses[i] = mode == 1 ? Training.step(model, optimizer, task, batch)
                            : GradientAccumulation.step(model, optimizer, () -> task.next(batch / mode), mode);
                }
                optimizer.close();
            }
            curves.put(mode == 1 ? "one batch of " + batch : mode + " micro-batches of " + batch / mode, losses);
        }
        return curves;
    }

    /** Saved activations at the end of forward for a batch of {@code batch}: linear in the batch. */
    public static long activationBytes(GptConfig config, long batch, long time, long answer) {
        return config.savedActivationBytes(batch, time, answer);
    }

    /** A model trained with steps over the same B examples split into n micro-batches. */
    static Experiment.Session session(GptConfig config, Setup s, int n) {
        Rng.seed(17);
        ReversalTask task = new ReversalTask(s.digits(), 23);
        Gpt model = new Gpt(config);
        AdamW optimizer = new AdamW(model.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0.0);
        return Experiment.Session.of(i -> n == 1
                ? Training.step(model, optimizer, task, s.batch())
                : GradientAccumulation.step(model, optimizer, () -> task.next(s.batch() / n), n), optimizer, model);
    }
}
