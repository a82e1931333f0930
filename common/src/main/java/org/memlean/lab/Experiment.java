package org.memlean.lab;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;

/**
 * Runs a chapter's arms and measures them honestly.
 *
 * <p><b>Memory</b> (exact, deterministic): each arm runs its training steps once under a fresh meter
 * on a settled device — model construction included — and reports the backend's peak, the ledger
 * by category at that peak, the losses and the timeline. <b>Work</b> (counted, not timed): the last
 * step's matmul FLOPs, kernels and allocations. <b>Time</b> (noisy, so repeated): every arm is
 * opened again, warmed up, and then timed in interleaved rounds — A, B, C, then B, C, A, … — so
 * each arm sees the same machine; each arm reports its median and quartiles, and ratios are taken
 * round by round ({@link Ratio}). A sample is the mean of a few consecutive steps (as many as make
 * the baseline's sample last about {@link #SAMPLE_MILLIS} ms), and the garbage collector runs
 * before each round, outside the clock: a 100 ms step is otherwise at the mercy of one pause.
 */
public final class Experiment {
    private Experiment() {}

    /** Interleaved timing rounds (each arm timed once a round) at the default size; at least 5. */
    public static final int ROUNDS = 7;
    /** Rounds at the quick size (tests, CI): still 5, the least that gives quartiles. */
    public static final int QUICK_ROUNDS = 5;
    /** Untimed steps per arm before the rounds. */
    public static final int WARM_UP = 2;
    /** The least wall time a timing sample of the baseline should cover (default size; a fifth at quick). */
    public static final double SAMPLE_MILLIS = 250;

    private static volatile PrintStream progress;

    /**
     * Where to say what a long experiment is doing ("measuring zero2 (3/4)", "timing round 2 of 7"), or
     * null (the default: quiet, as in notebooks and tests). The command line sets standard error.
     */
    public static void progress(PrintStream out) {
        progress = out;
    }

    private static void say(String line) {
        PrintStream out = progress;
        if (out != null) out.println(line);
    }

    /** One training step of an arm; returns its loss. */
    @FunctionalInterface
    public interface Step {
        double run(int index);
    }

    /** An arm ready to step: its model, optimizer and data, closed when the arm is done. */
    public interface Session extends AutoCloseable {
        double step(int index);

        @Override
        void close();

        /**
         * The meter of the device this arm's memory is reported from, when it is not the meter the
         * experiment opens around the arm: rank 0's, for an arm whose ranks are threads with devices of
         * their own (chapter 7). Null (the default): the experiment's own meter.
         */
        default MemoryMeter device() {
            return null;
        }

        /** A session of {@code step} that closes {@code resources} in the order given. */
        static Session of(Step step, AutoCloseable... resources) {
            return new Session() {
                @Override
                public double step(int index) {
                    return step.run(index);
                }

                @Override
                public void close() {
                    RuntimeException failure = null;
                    for (AutoCloseable r : resources) {
                        try {
                            r.close();
                        } catch (Exception e) {
                            if (failure == null) failure = e instanceof RuntimeException re ? re : new RuntimeException(e);
                        }
                    }
                    if (failure != null) throw failure;
                }
            };
        }
    }

    /**
     * An arm: a name, how to open it afresh (build the model, the optimizer, the data), and the arm
     * it is compared with (by index; 0, the baseline, unless a chapter measures two groups of arms).
     */
    public record Arm(String name, Supplier<Session> open, int reference) {
        /** The same arm, compared with arm {@code index} (its own index: a baseline of its group). */
        public Arm against(int index) {
            return new Arm(name, open, index);
        }
    }

    public static Arm arm(String name, Supplier<Session> open) {
        return new Arm(name, open, 0);
    }

    /**
     * Measures every arm — memory and work from one run of {@code steps} steps each, time from
     * {@link #ROUNDS} interleaved rounds after {@link #WARM_UP} steps — and reports them.
     *
     * @param headline the index of the chapter's headline technique among {@code arms} (the baseline is 0)
     */
    public static Report report(Chapter chapter, Size size, List<Arm> arms, int steps, int headline,
                                Map<String, Long> predicted) {
        return new Report(chapter.number(), chapter.title(), chapter.technique(), measureAll(arms, steps, size), headline,
                predicted);
    }

    /** Memory, work and interleaved time of every arm, in the arms' order. */
    public static List<Measurement> measureAll(List<Arm> arms, int steps, Size size) {
        if (steps < 1) throw new IllegalArgumentException("an experiment needs at least one step, got " + steps);
        List<Run> runs = new ArrayList<>();
        for (int a = 0; a < arms.size(); a++) {
            say(String.format(Locale.ROOT, "  measuring %s (%d/%d), %d steps…", arms.get(a).name(), a + 1,
                    arms.size(), steps));
            runs.add(measureMemory(arms.get(a), steps));
        }
        boolean quick = size == Size.QUICK;
        List<double[]> times = time(arms, steps, quick ? QUICK_ROUNDS : ROUNDS, quick ? SAMPLE_MILLIS / 5 : SAMPLE_MILLIS);
        List<Measurement> out = new ArrayList<>();
        for (int a = 0; a < arms.size(); a++) {
            Run r = runs.get(a);
            int reference = arms.get(a).reference();
            if (reference < 0 || reference >= arms.size() || arms.get(reference).reference() != reference) {
                throw new IllegalArgumentException("arm '" + arms.get(a).name() + "' is compared with arm " + reference
                        + ", which is not a baseline (an arm compared with itself)");
            }
            out.add(new Measurement(arms.get(a).name(), r.peakBytes, r.peakByCategory, new Timing(times.get(a)), r.work,
                    r.losses, r.meter.timeline(), r.liveAfterStep, reference));
        }
        return out;
    }

    private record Run(long peakBytes, Map<Category, Long> peakByCategory, StepWork work,
                       double[] losses, MemoryMeter meter, long[] liveAfterStep) {}

    private static Run measureMemory(Arm arm, int steps) {
        Device.settle();
        double[] losses = new double[steps];
        long[] live = new long[steps];
        StepWork last = null;
        try (MemoryMeter own = MemoryMeter.start(arm.name())) {
            MemoryMeter device;
            try (Session session = arm.open().get()) {
                device = session.device() == null ? own : session.device();
                for (int i = 0; i < steps; i++) {
                    try (Work work = Work.count()) {
                        losses[i] = session.step(i);
                        last = new StepWork(work.matmulFlops(), work.kernels(), work.allocations(),
                                work.sentBytes());
                    }
                    live[i] = device.liveBytes();
                }
            }
            return new Run(device.peakBytes(), device.peakByCategory(), last, losses, device, live);
        }
    }

    /** Step times per arm: warm-up, then rounds in rotating order. */
    private static List<double[]> time(List<Arm> arms, int steps, int rounds, double sampleMillis) {
        int n = arms.size();
        List<Session> sessions = new ArrayList<>();
        List<double[]> times = new ArrayList<>();
        try {
            for (Arm arm : arms) {
                sessions.add(arm.open().get());
                times.add(new double[rounds]);
            }
            double baselineMillis = 0;
            for (int w = 0; w < WARM_UP; w++) {
                for (int a = 0; a < n; a++) {
                    long start = System.nanoTime();
                    sessions.get(a).step(steps + w);
                    if (a == 0) baselineMillis = (System.nanoTime() - start) / 1e6;
                }
            }
            int perSample = (int) Math.max(1, Math.min(8, Math.ceil(sampleMillis / Math.max(1e-3, baselineMillis))));
            int index = steps + WARM_UP;
            for (int round = 0; round < rounds; round++) {
                say(String.format(Locale.ROOT, "  timing: round %d of %d, every arm…", round + 1, rounds));
                System.gc();
                for (int k = 0; k < n; k++) {
                    int a = (round + k) % n;
                    long start = System.nanoTime();
                    for (int i = 0; i < perSample; i++) sessions.get(a).step(index + i);
                    times.get(a)[round] = (System.nanoTime() - start) / 1e6 / perSample;
                }
                index += perSample;
            }
        } finally {
            for (Session s : sessions) s.close();
        }
        return times;
    }
}
