package org.memlean.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Chapter;
import org.memlean.lab.Chapters;
import org.memlean.lab.Report;
import org.memlean.lab.Size;
import org.memlean.lab.StepMemoryModel;
import org.memlean.lab.Timing;
import org.memlean.lab.Training;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.Memory;
import org.memlean.memory.MemoryEvent;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Storage;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Rng;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How fast the framework trains, against the machine's own limit: the GPT's step time, its model
 * FLOPs, the achieved GFLOP/s beside a float32 1024³ GEMM timed in every round, the framework's
 * overhead over the plain ND4J calls it makes (a recorded {@link Trace}, replayed), and its measured
 * peak over the peak the step model predicts ({@link StepMemoryModel}: exact on this framework, so the
 * ratio is 1 unless the framework's memory behaviour changed without its model).
 */
final class Bench {
    private Bench() {}

    /** The bench's model and batch. */
    public record Setup(GptConfig config, int batch, int digits, int warmUp, int repeats) {
        public int tokens() {
            return batch * 2 * digits;
        }
    }

    /**
     * The default size is large enough for GEMMs to dominate (C = 256, T = 64, B = 16: 3.2 M
     * parameters); quick is small enough for CI.
     */
    public static Setup setup(boolean quick) {
        return quick
                ? new Setup(GptConfig.defaults().withBlockSize(32).withLayers(2).withHeads(4).withChannels(128), 8, 16, 2, 5)
                : new Setup(GptConfig.defaults().withBlockSize(64).withLayers(4).withHeads(8).withChannels(256), 16, 32, 2, 7);
    }

    /**
     * FLOPs of one training step's matrix products: every linear layer 6·tokens·in·out (forward 2,
     * backward 4) — 12·L·C² per token for the blocks, C·V for the head — plus attention's two
     * products, 12·L·B·T²·C. (The usual 6·P·tokens counts the embeddings and norms too, which do no
     * matmul.) {@code BenchTest} checks it against the framework's own count of a step.
     */
    public static long modelFlops(Setup s) {
        long t = 2L * s.digits();
        long c = s.config().channels();
        long weights = 12L * s.config().layers() * c * c + c * s.config().vocabSize();
        return 6L * s.tokens() * weights + 12L * s.config().layers() * s.batch() * t * t * c;
    }

    public record Result(Setup setup, double stepMillis, double stepLowMillis, double stepHighMillis, double tokensPerSecond,
                         long modelFlopsPerStep, double achievedGflops, double sgemmGflops, double plainStepMillis,
                         int kernelsPerStep, int allocationsPerStep, long peakBytes, long predictedPeakBytes,
                         List<Map<String, Object>> techniques) {
        public double efficiency() {
            return achievedGflops / sgemmGflops;
        }

        /** The interquartile range of the step times. */
        public double stepSpreadMillis() {
            return stepHighMillis - stepLowMillis;
        }

        public double overheadRatio() {
            return stepMillis / plainStepMillis;
        }

        /** The measured peak over the step model's prediction (1.00: the model is exact). */
        public double memoryRatio() {
            return (double) peakBytes / predictedPeakBytes;
        }
    }

    public static Result run(boolean quick, boolean withChapters) {
        Setup s = setup(quick);
        Rng.seed(3);
        ReversalTask task = new ReversalTask(s.digits(), 5);
        double[] millis = new double[s.repeats()];
        double[] plain = new double[s.repeats()];
        double[] sgemmSeconds = new double[s.repeats()];
        int kernels;
        int allocations;
        long peak;
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("bench"); Gpt model = new Gpt(s.config())) {
            AdamW adam = new AdamW(model.parameters(), 1e-3);
            for (int i = 0; i < s.warmUp(); i++) Training.step(model, adam, task, s.batch());
            meter.mark("measured");
            Training.step(model, adam, task, s.batch());
            peak = peakAfter(meter.timeline(), "measured");
            kernels = 0;
            allocations = 0;
            // the machine's own limit, measured in every round too: a float32 1024³ GEMM
            Storage[] gemm = new Storage[3];
            for (int k = 0; k < 3; k++) {
                gemm[k] = Memory.allocate(DataType.FLOAT, new long[] {1024, 1024}, Category.TEMPORARY, "bench sgemm");
                Kernels.fill(gemm[k].array(), 1.0 / 1024);
            }
            // rounds of: a step; the same step recorded; its replay as plain ND4J. The step and the
            // replay are neighbours in time, so the machine's drift moves both. (A trace cannot be
            // replayed after later steps: they free the gradients its kernels wrote.)
            for (int i = 0; i < s.repeats(); i++) {
                long start = System.nanoTime();
                Training.step(model, adam, task, s.batch());
                millis[i] = (System.nanoTime() - start) / 1e6;
                try (Trace trace = Trace.record()) {
                    Training.step(model, adam, task, s.batch());
                    trace.stop();
                    kernels = trace.kernelCount();
                    allocations = trace.allocationCount();
                    start = System.nanoTime();
                    trace.replay();
                    plain[i] = (System.nanoTime() - start) / 1e6;
                }
                start = System.nanoTime();
                Nd4j.gemm(gemm[0].array(), gemm[1].array(), gemm[2].array(), false, false, 1.0, 0.0);
                sgemmSeconds[i] = (System.nanoTime() - start) / 1e9;
            }
            for (Storage g : gemm) g.free();
            adam.close();
        }
        double sgemm = 2.0 * 1024 * 1024 * 1024 / Timing.quantile(sgemmSeconds, 0.5) / 1e9;
        long flops = modelFlops(s);
        double step = Timing.quantile(millis, 0.5);
        List<Map<String, Object>> techniques = new ArrayList<>();
        if (withChapters) {
            for (Chapter c : Chapters.all()) {
                Report r = c.run(Size.QUICK);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("chapter", c.number());
                row.put("stepMillis", r.techniqueRun().stepMillis());
                row.put("timeRatio", r.timeRatio().median());
                row.put("timeRatioLow", r.timeRatio().low());
                row.put("timeRatioHigh", r.timeRatio().high());
                row.put("time", r.timeRatio().format());
                techniques.add(row);
            }
        }
        return new Result(s, step, Timing.quantile(millis, 0.25), Timing.quantile(millis, 0.75),
                s.tokens() / (step / 1000), flops, flops / (step / 1000) / 1e9, sgemm, Timing.quantile(plain, 0.5),
                kernels, allocations, peak, predictedPeakBytes(s), techniques);
    }

    /**
     * One thread count's step, as measured in a JVM started with that many compute threads
     * (libnd4j's pool is sized once, when the JVM starts, so each count needs its own JVM).
     */
    public record ThreadRun(int threads, double stepMillis, double stepLowMillis, double stepHighMillis,
                            double efficiency, double plainStepMillis, int kernelsPerStep, int allocationsPerStep) {
        static ThreadRun of(int threads, Result r) {
            return new ThreadRun(threads, r.stepMillis(), r.stepLowMillis(), r.stepHighMillis(), r.efficiency(),
                    r.plainStepMillis(), r.kernelsPerStep(), r.allocationsPerStep());
        }

        /** Faster beyond the noise: this run's slower quartile below the other's faster one. */
        public boolean clearlyFasterThan(ThreadRun other) {
            return stepHighMillis < other.stepLowMillis;
        }

        public Map<String, Object> json() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("threads", threads);
            out.put("stepMillis", stepMillis);
            out.put("stepMillisLow", stepLowMillis);
            out.put("stepMillisHigh", stepHighMillis);
            out.put("efficiency", efficiency);
            out.put("plainStepMillis", plainStepMillis);
            out.put("kernelsPerStep", kernelsPerStep);
            out.put("allocationsPerStep", allocationsPerStep);
            return out;
        }
    }

    /** The thread counts the bench compares: one, and the machine's core count. */
    public static List<Integer> threadCounts() {
        int cores = Runtime.getRuntime().availableProcessors();
        return cores > 1 ? List.of(1, cores) : List.of(1);
    }

    /**
     * The bench at {@code threads} compute threads, in a child JVM on this JVM's class path with
     * OMP_NUM_THREADS set; its progress goes to this one's stderr.
     */
    public static ThreadRun inChildJvm(int threads, boolean quick) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench", "--json",
                "--no-chapters", "--one-thread-count", "--threads", Integer.toString(threads)));
        if (quick) command.add("--quick");
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        try {
            Process process = pb.start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int code = process.waitFor();
            if (code != 0) {
                throw new IllegalStateException("the bench at " + threads + " threads (a child JVM) exited with " + code
                        + "; its messages are above");
            }
            return new ThreadRun(threads, number(out, "stepMillis"), number(out, "stepMillisLow"),
                    number(out, "stepMillisHigh"), number(out, "efficiency"), number(out, "plainStepMillis"),
                    (int) number(out, "kernelsPerStep"), (int) number(out, "allocationsPerStep"));
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the bench at " + threads + " threads: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the bench ran at " + threads + " threads", e);
        }
    }

    /** A number field of the bench's own flat JSON. */
    static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(-?[0-9.eE+-]+)").matcher(json);
        if (!m.find()) throw new IllegalStateException("the bench's JSON has no " + key + ": " + json);
        return Double.parseDouble(m.group(1));
    }

    /**
     * The thread count to use on this machine: the fastest, if it is faster beyond the noise than
     * every other; else one thread (as fast within the noise, and it leaves the other cores free).
     */
    public static int fastest(List<ThreadRun> runs) {
        ThreadRun best = runs.stream().min(Comparator.comparingDouble(ThreadRun::stepMillis)).orElseThrow();
        for (ThreadRun r : runs) if (r != best && !best.clearlyFasterThan(r)) return 1;
        return best.threads();
    }

    /**
     * Writes {@code threads} where the launcher reads its default thread count
     * ({@code .memlean/threads} in the course's directory, which the launcher passes as
     * {@code memlean.home}); returns the file, or null when not run through the launcher.
     */
    public static Path rememberThreads(int threads) {
        String home = System.getProperty("memlean.home");
        if (home == null) return null;
        Path file = Path.of(home, ".memlean", "threads");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, threads + "\n");
            return file;
        } catch (IOException e) {
            System.err.println("bench: could not write " + file + " (" + e.getMessage() + "); the default stays as it was");
            return null;
        }
    }

    /** The highest backend reading after a mark. */
    static long peakAfter(List<MemoryEvent> events, String mark) {
        boolean after = false;
        long peak = 0;
        for (MemoryEvent e : events) {
            if (e.kind() == MemoryEvent.Kind.MARK && mark.equals(e.label())) after = true;
            if (after) peak = Math.max(peak, e.backendLive());
        }
        return peak;
    }

    /** The step model's prediction of the step's peak ({@link StepMemoryModel}, exact on this framework). */
    public static long predictedPeakBytes(Setup s) {
        return StepMemoryModel.predictPeak(s.config(), s.batch(), 2L * s.digits(), s.digits()).bytes();
    }

    public static Map<String, Object> json(Result r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("stepMillis", r.stepMillis());
        out.put("stepSpreadMillis", r.stepSpreadMillis());
        out.put("stepMillisLow", r.stepLowMillis());
        out.put("stepMillisHigh", r.stepHighMillis());
        out.put("tokensPerSecond", r.tokensPerSecond());
        out.put("modelFlopsPerStep", r.modelFlopsPerStep());
        out.put("achievedGflops", r.achievedGflops());
        out.put("sgemmGflops", r.sgemmGflops());
        out.put("efficiency", r.efficiency());
        out.put("plainStepMillis", r.plainStepMillis());
        out.put("overheadRatio", r.overheadRatio());
        out.put("kernelsPerStep", r.kernelsPerStep());
        out.put("allocationsPerStep", r.allocationsPerStep());
        out.put("peakBytes", r.peakBytes());
        out.put("predictedPeakBytes", r.predictedPeakBytes());
        out.put("memoryRatio", r.memoryRatio());
        out.put("techniques", r.techniques());
        return out;
    }
}
