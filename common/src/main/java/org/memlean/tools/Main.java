package org.memlean.tools;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.Pointer;
import org.memlean.lab.Anatomy;
import org.memlean.lab.Calculator;
import org.memlean.lab.Chapter;
import org.memlean.lab.Chapters;
import org.memlean.lab.Experiment;
import org.memlean.lab.Json;
import org.memlean.lab.Measurement;
import org.memlean.lab.Ratio;
import org.memlean.lab.Report;
import org.memlean.lab.Size;
import org.memlean.lab.TextTable;
import org.memlean.lab.UsageError;
import org.memlean.memory.Bytes;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.nn.GptConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** The course's command line: {@code ./memlean list | run chNN | tour | anatomy}. */
@Command(name = "memlean", mixinStandardHelpOptions = true, version = "memlean 0.1.0",
        description = "Ten ways to train large networks in less memory, measured on ND4J.",
        subcommands = {Main.ListChapters.class, Main.Run.class, Main.Tour.class, Main.AnatomyCommand.class,
                Main.BenchCommand.class, Main.Calc.class, Main.Grade.class})
public final class Main implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        CommandLine calc = cli.getSubcommands().get("calc");
        for (Calculator c : ServiceLoader.load(Calculator.class)) calc.addSubcommand(c.name(), c);
        withHelp(cli);
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("memlean: " + e.getMessage() + " (see: ./memlean "
                    + commandPath(e.getCommandLine()) + "--help)");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("memlean: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (System.getenv("MEMLEAN_DEBUG") != null) e.printStackTrace(commandLine.getErr());
            return e instanceof UsageError ? 2 : 1;
        });
        return cli.execute(args);
    }

    /** --help and --version on every command and subcommand (calculators included). */
    private static void withHelp(CommandLine cl) {
        cl.getCommandSpec().mixinStandardHelpOptions(true);
        for (CommandLine sub : cl.getSubcommands().values()) withHelp(sub);
    }

    private static String commandPath(CommandLine cl) {
        String name = cl.getCommandSpec().qualifiedName(" ");
        return name.equals("memlean") ? "" : name.substring("memlean ".length()) + " ";
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** Bad input the user can fix: one line, exit code 2. */
    /**
     * Refuses, before any work, an output path that cannot be written: a directory, or a parent that
     * cannot be created or written to.
     */
    static void checkWritable(String option, Path path) {
        Path file = path.toAbsolutePath();
        if (Files.isDirectory(file)) {
            throw new UsageError(option + " " + path + " is a directory; give a file name");
        }
        Path parent = file.getParent();
        try {
            if (parent != null) Files.createDirectories(parent);
        } catch (IOException | SecurityException e) {
            throw new UsageError(option + " " + path + ": cannot create its directory " + parent + " ("
                    + e.getClass().getSimpleName() + ")");
        }
        if (parent != null && !Files.isWritable(parent)) {
            throw new UsageError(option + " " + path + ": its directory " + parent + " is not writable");
        }
        if (Files.exists(file) && !Files.isWritable(file)) {
            throw new UsageError(option + " " + path + " exists and is not writable");
        }
    }

    /**
     * Refuses, before any work, a GPT training step that cannot fit: its memory estimated in floating
     * point (no overflow at any size) against what ND4J may allocate in this JVM and the machine's RAM.
     */
    static void checkFits(GptConfig config, long batch, long time, long answer) {
        double c = config.channels();
        double b = batch;
        double t = time;
        double values = 16.0 * config.parameterCount() / 4               // parameters, gradients, AdamW's moments
                + config.layers() * (16 * b * t * c + b * config.heads() * t * t + 4 * b * t)    // saved activations
                + 2 * b * t * c + 4.0 * b * answer * config.vocabSize()                       // head and loss
                + 8 * b * t * c;                                                            // in flight in backward
        double need = 4 * values;
        long nd4j = Pointer.maxBytes();
        long ram = physicalMemory();
        long limit = nd4j > 0 ? Math.min(nd4j, ram) : ram;
        if (need > limit || b * t > Integer.MAX_VALUE) {
            throw new UsageError(String.format(Locale.ROOT, "a training step at batch %d and %d tokens needs "
                    + "about %s; ND4J may use %s in this JVM and the machine has %s. Use a smaller --batch", batch, time,
                    need > Long.MAX_VALUE / 2 ? String.format(Locale.ROOT, "%.3g bytes", need) : Bytes.format((long) need),
                    Bytes.format(nd4j), Bytes.format(ram)));
        }
    }

    private static long physicalMemory() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getTotalMemorySize();
        return Long.MAX_VALUE;
    }

    /** Listed in the help; ./memlean runs the grader itself (in child JVMs, from the exercises' test classpath). */
    @Command(name = "grade", description = "Grade the exercises: ./memlean grade [--solutions] [--chapter NN] [--json] "
            + "(see ./memlean grade --help).")
    static final class Grade implements Callable<Integer> {
        @CommandLine.Unmatched
        List<String> ignored;

        @Override
        public Integer call() {
            throw new UsageError("grading runs through the launcher: ./memlean grade " + String.join(" ", ignored == null
                    ? List.of() : ignored));
        }
    }

    @Command(name = "calc", description = "A chapter's formulas at any size (calc <what> --help for its options).")
    static final class Calc implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getOut());
            return 0;
        }
    }

    @Command(name = "list", description = "List the chapters found on the class path.")
    static final class ListChapters implements Callable<Integer> {
        @Override
        public Integer call() {
            List<Chapter> chapters = Chapters.all();
            if (chapters.isEmpty()) {
                System.out.println("No chapters are installed yet (chapter modules register through ServiceLoader).");
            }
            for (Chapter c : chapters) System.out.printf("%s  %-45s %s%n", c.id(), c.title(), c.technique());
            return 0;
        }
    }

    /** The compute-thread option every measuring command takes. */
    static final class ThreadsOption {
        @Option(names = "--threads", paramLabel = "N",
                description = "Compute threads for ND4J's kernels and its BLAS (default: the launcher's OMP_NUM_THREADS, "
                        + "else the core count).")
        Integer threads;

        /** Applies --threads (if given) and returns the kernels' thread count in force. */
        int apply() {
            if (threads != null) {
                if (threads < 1) throw new UsageError("--threads must be at least 1, got " + threads);
                int inForce = Device.setComputeThreads(threads);
                if (inForce != threads) {
                    System.err.println("memlean: ND4J's kernel pool started with " + inForce + " threads and cannot "
                            + "change in a running JVM; start it with OMP_NUM_THREADS=" + threads
                            + " (./memlean does that for --threads)");
                }
            }
            return Device.computeThreads();
        }
    }

    @Command(name = "run", description = "Run one chapter's experiment: every arm, measured.")
    static final class Run implements Callable<Integer> {
        @Parameters(paramLabel = "CHAPTER", description = "ch01 … ch10")
        String chapter;

        @Option(names = "--quick", description = "The small size used by tests and notebooks.")
        boolean quick;

        @Option(names = "--json", description = "Print one JSON object instead of a table.")
        boolean json;

        @Option(names = "--chart", paramLabel = "PNG",
                description = "Also write memory over the run, every arm side by side, to this PNG file.")
        Path chart;

        @Option(names = "--ranks", paramLabel = "N",
                description = "Chapter 7: the simulated ranks (threads, each with its own device), e.g. 2, 4 or 8.")
        Integer ranks;

        @CommandLine.Mixin
        ThreadsOption threadsOption = new ThreadsOption();

        @Override
        public Integer call() throws IOException {
            Chapter c = Chapters.find(chapter).orElseThrow(() -> new UsageError("unknown chapter '" + chapter
                    + "'; installed: " + (Chapters.all().isEmpty() ? "none yet"
                    : String.join(", ", Chapters.all().stream().map(Chapter::id).toList()))));
            if (chart != null) checkWritable("--chart", chart);
            int threads = threadsOption.apply();
            Map<String, Integer> options = new LinkedHashMap<>();
            if (ranks != null) options.put("ranks", ranks);
            Report r;
            Experiment.progress(System.err);
            try {
                r = c.run(quick ? Size.QUICK : Size.DEFAULT, options);
            } catch (IllegalArgumentException e) {
                if (options.isEmpty()) throw e;
                throw new UsageError(e.getMessage());
            } finally {
                Experiment.progress(null);
            }
            if (json) System.out.println(Json.write(reportJson(r, threads)));
            else System.out.print(reportText(r, threads));
            if (chart != null) {
                if (chart.getParent() != null) Files.createDirectories(chart.getParent());
                Files.write(chart, Charts.png(Charts.arms(r)));
            }
            return 0;
        }
    }

    @Command(name = "tour", description = "Run every chapter in order and print the table of savings.")
    static final class Tour implements Callable<Integer> {
        @Option(names = "--quick", description = "The small size used by tests and notebooks.")
        boolean quick;

        @Option(names = "--report", defaultValue = "report/index.html",
                description = "Where to write the HTML report (default ${DEFAULT-VALUE}).")
        Path reportPath;

        @CommandLine.Mixin
        ThreadsOption threadsOption = new ThreadsOption();

        @Override
        public Integer call() throws IOException {
            checkWritable("--report", reportPath);
            int threads = threadsOption.apply();
            List<Chapter> chapters = Chapters.all();
            System.out.println("memlean tour on the " + Device.backendName() + " backend, " + threads
                    + (threads == 1 ? " compute thread" : " compute threads") + ", size " + (quick ? "quick" : "default"));
            if (chapters.isEmpty()) {
                System.out.println("No chapters are installed yet; nothing to tour. Try ./memlean anatomy.");
                return 0;
            }
            TextTable table = new TextTable("", "technique", "baseline peak", "technique", "saving", "time", "work");
            List<Report> reports = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            int i = 0;
            long start = System.nanoTime();
            for (Chapter c : chapters) {
                i++;
                System.err.printf(Locale.ROOT, "[%d/%d] %s %s … (%.0f s so far)%n", i, chapters.size(), c.id(),
                        c.technique(), (System.nanoTime() - start) / 1e9);
                Report r;
                try {
                    r = c.run(quick ? Size.QUICK : Size.DEFAULT);
                } catch (RuntimeException e) {
                    // one chapter failing never stops the tour; it is reported and the exit code says so
                    failures.add(c.id() + "  " + c.technique() + "  failed: " + e.getMessage());
                    continue;
                }
                reports.add(r);
                table.row(c.id(), c.technique(), Bytes.format(r.baseline().peakBytes()),
                        Bytes.format(r.techniqueRun().peakBytes()), Report.percent(r.saving()),
                        r.timeRatio().format(), String.format(Locale.ROOT, "%.2f×", r.workRatio()));
            }
            System.out.print(table);
            for (String f : failures) System.out.println(f);
            System.out.println("time: median step over the baseline's, ± half the interquartile range of "
                    + (quick ? Experiment.QUICK_ROUNDS : Experiment.ROUNDS)
                    + " interleaved rounds; work: counted matmul FLOPs (or kernels) over the baseline's.");
            HtmlReport.write(reportPath, reports, quick ? "quick" : "default", threads);
            System.out.println("Report with a chart per chapter: " + reportPath.toAbsolutePath());
            if (!failures.isEmpty()) System.err.println("memlean: " + failures.size() + " of " + chapters.size() + " chapters failed");
            return failures.isEmpty() ? 0 : 1;
        }
    }

    @Command(name = "anatomy", description = "Where the bytes of one GPT training step go, measured and predicted.")
    static final class AnatomyCommand implements Callable<Integer> {
        @Option(names = "--json", description = "Print one JSON object instead of a table.")
        boolean json;

        @Option(names = "--batch", defaultValue = "32", description = "Batch size B (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--digits", defaultValue = "8", description = "Digits to reverse; T = 2 × digits (default ${DEFAULT-VALUE}).")
        int digits;

        @Option(names = "--layers", defaultValue = "2", description = "Transformer blocks L (default ${DEFAULT-VALUE}).")
        int layers;

        @CommandLine.Mixin
        ThreadsOption threadsOption = new ThreadsOption();

        @Override
        public Integer call() {
            int threads = threadsOption.apply();
            if (batch < 1 || digits < 1 || layers < 1) {
                throw new UsageError("--batch, --digits and --layers must be positive (got " + batch + ", " + digits
                        + ", " + layers + ")");
            }
            GptConfig config = GptConfig.defaults().withLayers(layers);
            if (2 * digits > config.blockSize()) {
                throw new UsageError("--digits " + digits + " makes sequences of " + 2 * digits
                        + " tokens; the model holds at most " + config.blockSize() + " (so at most "
                        + config.blockSize() / 2 + " digits)");
            }
            checkFits(config, batch, 2L * digits, digits);
            Anatomy.Result r = Anatomy.run(config, batch, digits);
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("threads", threads);
                out.put("measured", Map.of("peakBytes", r.measuredPeakBytes(), "peakByCategory",
                        names(r.measuredPeakByCategory()), "peakAt", r.measuredPeakAt()));
                out.put("predicted", Map.of("peakBytes", r.predictedPeak().bytes(), "peakByCategory",
                        names(r.predictedPeak().byCategory()), "peakAt", r.predictedPeak().at()));
                Map<String, Object> phases = new LinkedHashMap<>();
                phases.put("endOfForward", Map.of("measured", names(r.measuredEndOfForward()),
                        "predicted", names(r.predictedEndOfForward())));
                phases.put("optimizerStep", Map.of("measured", names(r.measuredOptimizerStep()),
                        "predicted", names(r.predictedOptimizerStep())));
                out.put("phases", phases);
                System.out.println(Json.write(out));
                return 0;
            }
            System.out.print(Anatomy.table(r));
            return 0;
        }
    }

    @Command(name = "bench", description = "The framework's speed and memory against the machine's own limits.")
    static final class BenchCommand implements Callable<Integer> {
        @Option(names = "--json", description = "Print one JSON object instead of a table.")
        boolean json;

        @Option(names = "--quick", description = "A small model (for CI).")
        boolean quick;

        @Option(names = "--no-chapters", description = "Skip timing each chapter's technique.")
        boolean noChapters;

        @Option(names = "--one-thread-count",
                description = "Measure at the thread count in force only (by default the step is also measured at "
                        + "1 and at the core count, each in a JVM of its own, and the faster becomes the launcher's default).")
        boolean oneThreadCount;

        @CommandLine.Mixin
        ThreadsOption threadsOption = new ThreadsOption();

        @Override
        public Integer call() {
            int threads = threadsOption.apply();
            System.err.println("bench: timing the GPT step, its plain-ND4J replay and a 1024³ sgemm at " + threads
                    + (threads == 1 ? " thread…" : " threads…"));
            Bench.Result r = Bench.run(quick, !noChapters);
            List<Bench.ThreadRun> runs = new ArrayList<>(List.of(Bench.ThreadRun.of(threads, r)));
            if (!oneThreadCount) {
                for (int n : Bench.threadCounts()) {
                    if (n == threads) continue;
                    System.err.println("bench: the same at " + n + (n == 1 ? " thread" : " threads")
                            + ", in a JVM of its own (libnd4j sizes its pool once, at start)…");
                    runs.add(Bench.inChildJvm(n, quick));
                }
                runs.sort(Comparator.comparingInt(Bench.ThreadRun::threads));
            }
            Integer fastest = runs.size() > 1 ? Bench.fastest(runs) : null;
            Path remembered = fastest == null ? null : Bench.rememberThreads(fastest);
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("threads", threads);
                out.putAll(Bench.json(r));
                out.put("byThreads", runs.stream().map(Bench.ThreadRun::json).toList());
                if (fastest != null) out.put("fastestThreads", fastest);
                System.out.println(Json.write(out));
                return 0;
            }
            Bench.Setup s = r.setup();
            System.out.printf(Locale.ROOT, "GPT L=%d C=%d H=%d, %,d parameters, B=%d, T=%d, AdamW, %s backend, %d %s%n",
                    s.config().layers(), s.config().channels(), s.config().heads(), s.config().parameterCount(),
                    s.batch(), 2 * s.digits(), Device.backendName(), threads, threads == 1 ? "thread" : "threads");
            System.out.printf(Locale.ROOT, "step            %10.1f ms (interquartile spread %.1f ms), %,.0f tokens/s%n",
                    r.stepMillis(), r.stepSpreadMillis(), r.tokensPerSecond());
            System.out.printf(Locale.ROOT, "matmul FLOPs    %10.2f GFLOP per step (6·tokens·(12·L·C² + C·V) + 12·L·B·T²·C, "
                    + "as the framework counts them)%n", r.modelFlopsPerStep() / 1e9);
            System.out.printf(Locale.ROOT, "achieved        %10.1f GFLOP/s; sgemm 1024³ %.1f GFLOP/s; efficiency %.2f%n",
                    r.achievedGflops(), r.sgemmGflops(), r.efficiency());
            System.out.printf(Locale.ROOT, "plain ND4J      %10.1f ms for the same %d kernels and %d allocations; "
                    + "overhead ratio %.2f%n", r.plainStepMillis(), r.kernelsPerStep(), r.allocationsPerStep(),
                    r.overheadRatio());
            System.out.printf(Locale.ROOT, "memory          peak %s, predicted by the step model %s, ratio %.3f%n",
                    Bytes.format(r.peakBytes()), Bytes.format(r.predictedPeakBytes()), r.memoryRatio());
            for (Map<String, Object> t : r.techniques()) {
                System.out.printf(Locale.ROOT, "chapter %-3s technique step %8.1f ms, %s the baseline's (quick size)%n",
                        t.get("chapter"), (Double) t.get("stepMillis"), t.get("time"));
            }
            if (runs.size() > 1) {
                System.out.printf(Locale.ROOT, "%nthreads  step median (quartiles)        efficiency  kernels  allocations  (each in its own JVM)%n");
                for (Bench.ThreadRun t : runs) {
                    System.out.printf(Locale.ROOT, "%7d  %9.1f ms (%.1f … %.1f)  %10.2f  %7d  %11d%n", t.threads(),
                            t.stepMillis(), t.stepLowMillis(), t.stepHighMillis(), t.efficiency(), t.kernelsPerStep(),
                            t.allocationsPerStep());
                }
                Bench.ThreadRun chosen = runs.stream().filter(t -> t.threads() == fastest).findFirst().orElseThrow();
                boolean clear = runs.stream().allMatch(t -> t == chosen || chosen.clearlyFasterThan(t));
                String choice = clear
                        ? fastest + (fastest == 1 ? " thread is" : " threads are") + " faster here, beyond the noise"
                        : "the thread counts are within the noise of each other: 1 thread (it leaves the other cores free)";
                System.out.println(choice + (remembered == null ? "" : "; the launcher's default from now on ("
                        + remembered + "; OMP_NUM_THREADS or --threads override it)"));
            }
            return 0;
        }
    }

    static Map<String, Long> names(Map<Category, Long> byCategory) {
        Map<String, Long> out = new LinkedHashMap<>();
        byCategory.forEach((k, v) -> out.put(k.name(), v));
        return out;
    }

    static Map<String, Object> measurementJson(Measurement m, Report r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", m.name());
        out.put("peakBytes", m.peakBytes());
        out.put("peakByCategory", names(m.peakByCategory()));
        out.put("stepMillis", m.stepMillis());
        out.put("stepMillisLow", m.timing().low());
        out.put("stepMillisHigh", m.timing().high());
        Ratio ratio = r.timeRatio(m);
        out.put("timeRatio", Map.of("median", ratio.median(), "low", ratio.low(), "high", ratio.high(),
                "withinNoise", ratio.withinNoise()));
        out.put("workPerStep", m.work().matmulFlops());
        out.put("workUnit", "matmul FLOPs");
        out.put("kernelsPerStep", m.work().kernels());
        out.put("allocationsPerStep", m.work().allocations());
        out.put("bytesSentPerStep", m.work().sentBytes());
        out.put("growthBytesPerStep", m.growthPerStep());
        out.put("comparedWith", r.reference(m).name());
        out.put("finalLoss", m.finalLoss());
        return out;
    }

    static Map<String, Object> reportJson(Report r, int threads) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("chapter", r.chapter());
        out.put("title", r.title());
        out.put("threads", threads);
        out.put("baseline", measurementJson(r.baseline(), r));
        out.put("technique", measurementJson(r.techniqueRun(), r));
        out.put("predicted", r.predicted());
        List<Object> arms = new ArrayList<>();
        for (Measurement m : r.arms()) arms.add(measurementJson(m, r));
        out.put("arms", arms);
        return out;
    }

    /** A chapter's report as text: one row per arm, the peaks by category, the formula's predictions. */
    static String reportText(Report r, int threads) {
        StringBuilder sb = new StringBuilder(String.format("Chapter %d: %s (%d %s)%n", r.chapter(), r.title(), threads,
                threads == 1 ? "thread" : "threads"));
        sb.append(r.table());
        sb.append("* the chapter's headline technique.\n");
        sb.append(r.peakTable());
        r.predicted().forEach((k, v) -> sb.append(String.format("predicted %-50s %12s%n", k, Bytes.format(v))));
        return sb.toString();
    }
}
