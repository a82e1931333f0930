package org.memlean.ch07;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memlean.ch07.Zero.Replica;
import org.memlean.ch07.Zero.Stage;
import org.memlean.data.Examples;
import org.memlean.data.ReversalTask;
import org.memlean.dist.Collective;
import org.memlean.dist.Collectives;
import org.memlean.dist.Group;
import org.memlean.dist.RankFailedException;
import org.memlean.lab.Chapter;
import org.memlean.lab.Experiment;
import org.memlean.lab.Report;
import org.memlean.lab.Size;
import org.memlean.lab.Training;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamSettings;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;

/**
 * Chapter 7's experiment: one GPT trained data-parallel on N simulated ranks (threads, each with a
 * device of its own) four ways — DDP (the baseline), ZeRO-1, ZeRO-2 and ZeRO-3 — from the same
 * weights on the same global batches. The report shows rank 0's device; {@link #perRank} every rank's.
 */
public final class ZeroChapter implements Chapter {
    /**
     * Sizes: the model, the ranks, the global batch (split evenly among the ranks), the task's digits
     * and the measured steps.
     */
    public record Setup(GptConfig config, int ranks, int globalBatch, int digits, int steps) {
        public Setup {
            if (ranks < 1 || ranks > 8) {
                throw new IllegalArgumentException("--ranks must be between 1 and 8 (threads on this machine), got " + ranks);
            }
            if (globalBatch % ranks != 0) {
                throw new IllegalArgumentException("the global batch of " + globalBatch + " does not split evenly among "
                        + ranks + " ranks; use a number of ranks that divides it (1, 2, 4 or 8)");
            }
        }

        public Setup withRanks(int n) {
            return new Setup(config, n, globalBatch, digits, steps);
        }

        /** Each rank's rows of a global batch. */
        public int localBatch() {
            return globalBatch / ranks;
        }
    }

    /** The default size: a 4-block GPT of width 128 (0.8M parameters, so model states outweigh activations) on 4 ranks. */
    public static Setup setup(Size size) {
        GptConfig base = GptConfig.defaults().withVocabSize(ReversalTask.VOCAB);
        return size == Size.QUICK
                ? new Setup(base, 4, 8, 8, 3)
                : new Setup(base.withChannels(128).withLayers(4), 4, 16, 8, 4);
    }

    /** AdamW as the earlier chapters train the reversal task (no weight decay, β2 = 0.99). */
    public static final AdamSettings ADAM = new AdamSettings(3e-3, 0.9, 0.99, 1e-8, 0);
    /** Rank r starts from stream (SEED, r); rank 0's weights are broadcast to all. */
    public static final long SEED = 71;
    private static final long DATA_SEED = 73;

    @Override
    public int number() {
        return 7;
    }

    @Override
    public String title() {
        return "ZeRO（零冗余优化器）";
    }

    @Override
    public String technique() {
        return "ZeRO-3 over 4 ranks";
    }

    @Override
    public Map<String, String> options() {
        return Map.of("ranks", "the simulated ranks (threads, each with a device of its own): 1 to 8, dividing the batch");
    }

    @Override
    public Report run(Size size) {
        return run(size, Map.of());
    }

    @Override
    public Report run(Size size, Map<String, Integer> options) {
        Setup s = setup(size);
        for (String name : options.keySet()) {
            if (!name.equals("ranks")) throw new IllegalArgumentException("ch07 has no option --" + name + "; its option is --ranks");
        }
        if (options.containsKey("ranks")) s = s.withRanks(options.get("ranks"));
        Setup setup = s;
        List<Experiment.Arm> arms = new ArrayList<>();
        for (Stage stage : Stage.values()) arms.add(Experiment.arm(stage.id(), () -> new Session(stage, setup, 0)));
        Map<String, Long> predicted = new LinkedHashMap<>();
        for (Stage stage : Stage.values()) {
            long sum = 0;
            for (long v : Zero.predictedMaxBytes(stage, setup.config(), setup.ranks()).values()) sum += v;
            predicted.put(stage.id() + ": parameters + gradients + AdamW state, per rank (each at its high)", sum);
        }
        for (Stage stage : Stage.values()) {
            predicted.put(stage.id() + ": bytes sent per rank per step",
                    Zero.bytesSentPerStep(stage, setup.config().parameterShapes(), setup.ranks(), 4));
        }
        return Experiment.report(this, size, arms, setup.steps(), Stage.ZERO3.ordinal(), predicted);
    }

    /** N ranks training one stage: the experiment's session (its device is rank 0's). */
    public static final class Session implements Experiment.Session {
        private final Setup setup;
        private final Group group;
        private final Replica[] replicas;
        private final ReversalTask task;

        /** Starts the ranks, each with a device of {@code budgetBytes} (0: no budget), and builds their replicas. */
        public Session(Stage stage, Setup setup, long budgetBytes) {
            this(stage, setup, budgetBytes, Group.DEFAULT_TIMEOUT);
        }

        /** The same, with ranks that wait at most {@code timeout} for each other at a collective. */
        public Session(Stage stage, Setup setup, long budgetBytes, Duration timeout) {
            this.setup = setup;
            this.task = new ReversalTask(setup.digits(), DATA_SEED);
            this.group = Group.start(Collectives.forRanks(setup.ranks(), timeout), budgetBytes, timeout, SEED);
            this.replicas = new Replica[setup.ranks()];
            try {
                group.run("set up " + stage.id(), r -> replicas[r.index()] = new Replica(stage, setup.config(),
                        r.collective(), ADAM));
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /** One step of every rank on its rows of the next global batch; the mean of their losses. */
        @Override
        public double step(int index) {
            Examples global = task.nextExamples(setup.globalBatch());
            int b = setup.localBatch();
            List<Double> losses = group.run("step " + index, r -> replicas[r.index()].step(global.rows(r.index() * b, b)));
            double sum = 0;
            for (double l : losses) sum += l;
            return sum / losses.size();
        }

        @Override
        public MemoryMeter device() {
            return group.meter(0);
        }

        public Group group() {
            return group;
        }

        public Replica replica(int rank) {
            return replicas[rank];
        }

        @Override
        public void close() {
            for (Replica r : replicas) if (r != null) r.close();
            group.close();
        }
    }

    /** One rank's figures after a few steps: its highs by category, its peak, its traffic per step. */
    public record RankFigures(int rank, Map<Category, Long> maxByCategory, long peakBytes, long sentBytesPerStep,
                              long receivedBytesPerStep) {}

    /** Every rank's figures for one stage after {@code steps} steps. */
    public static List<RankFigures> perRank(Stage stage, Setup setup, int steps) {
        Device.settle();
        try (Session session = new Session(stage, setup, 0)) {
            for (int i = 0; i < steps; i++) session.step(i);
            List<RankFigures> out = new ArrayList<>();
            for (int r = 0; r < setup.ranks(); r++) {
                MemoryMeter m = session.group().meter(r);
                Collective.Traffic t = session.replica(r).traffic();
                out.add(new RankFigures(r, m.maxByCategory(), m.peakBytes(), t.sentBytes() / steps,
                        t.receivedBytes() / steps));
            }
            return out;
        }
    }

    /** What a stage does with a device of {@code budgetBytes} per rank: trains, or runs out of memory (the message). */
    public record Outcome(Stage stage, boolean trained, long peakBytes, String error) {}

    public static Outcome underBudget(Stage stage, Setup setup, long budgetBytes, int steps) {
        Device.settle();
        Session session = null;
        try {
            session = new Session(stage, setup, budgetBytes);
            for (int i = 0; i < steps; i++) session.step(i);
            return new Outcome(stage, true, session.device().peakBytes(), null);
        } catch (RankFailedException e) {
            return new Outcome(stage, false, session == null ? 0 : session.device().peakBytes(), e.getMessage());
        } finally {
            if (session != null) session.close();
        }
    }

    /** Rank 0's parameters after {@code steps} steps of a stage (all ranks hold the same model). */
    public static Map<String, float[]> trainedWeights(Stage stage, Setup setup, int steps) {
        try (Session session = new Session(stage, setup, 0)) {
            for (int i = 0; i < steps; i++) session.step(i);
            List<Map<String, float[]>> all = session.group().run("read weights",
                    r -> session.replica(r.index()).parameterValues());
            return all.get(0);
        }
    }

    /** The same training on one device: the whole global batch each step, plain AdamW. */
    public static Map<String, float[]> referenceWeights(Setup setup, int steps) {
        long saved = Rng.state();
        Rng.seed(SEED, 0);                                       // rank 0's stream: the weights every rank starts from
        ReversalTask task = new ReversalTask(setup.digits(), DATA_SEED);
        try (Gpt model = new Gpt(setup.config());
             AdamW adam = new AdamW(model.parameters(), ADAM)) {
            for (int i = 0; i < steps; i++) {
                Examples global = task.nextExamples(setup.globalBatch());
                Training.step(model, adam, () -> {
                    var batch = global.toBatch();
                    return model.loss(batch.inputs(), batch.targets());
                });
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            model.namedParameters().forEach((k, v) -> out.put(k, v.toFloatArray()));
            return out;
        } finally {
            Rng.restore(saved);
        }
    }

    /** The largest |a − b| over every parameter element. */
    public static double maxDifference(Map<String, float[]> a, Map<String, float[]> b) {
        if (!a.keySet().equals(b.keySet())) throw new IllegalArgumentException("different parameters: " + a.keySet()
                + " vs " + b.keySet());
        double max = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            for (int i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }

    /** Whether two sets of weights are equal bit for bit. */
    public static boolean bitIdentical(Map<String, float[]> a, Map<String, float[]> b) {
        if (!a.keySet().equals(b.keySet())) return false;
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            for (int i = 0; i < x.length; i++) if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) return false;
        }
        return true;
    }

    static String shape(long[] s) {
        return Arrays.toString(s);
    }
}
