package org.memlean.grading;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.memlean.lab.Json;

/**
 * Grades the exercises: a score per task and the total, as a table or as Gradescope's
 * {@code results.json}.
 *
 * <p>Nothing a task does can take the grading down. Each chapter's tasks run in a child JVM of
 * their own; a test that calls {@code System.exit}, runs out of Java heap or loops forever ends or
 * outlives only that child (killed after its time limit). The tasks it had not reported are then
 * run again one per child, so the culprit scores 0 — with the reason — and every other task is
 * graded. Each test is also stopped after {@link #TIMEOUT} by JUnit, and the whole run has a
 * wall-clock limit ({@code --max-seconds}).
 *
 * <pre>
 * Grader [--chapter 01[,02…]] [--json] [--require full|zero] [--max-seconds N] [--package P]
 * </pre>
 */
public final class Grader {
    /** Per-test limit; {@code -Dmemlean.grade.timeout=5s} changes it. */
    static final String TIMEOUT = System.getProperty("memlean.grade.timeout", "60s");
    /** JVM options of the children: a bounded heap, so a runaway test fails fast. */
    static final String CHILD_OPTIONS = System.getProperty("memlean.grade.childOptions", "-Xmx2g");
    /** Seconds a child needs besides its tests (JVM start, ND4J's natives). */
    static final long CHILD_OVERHEAD_SECONDS = 60;

    /** One graded test: its task, its points. A task may have several. */
    record GradedTest(String taskId, String title, int points, String test) {
        String chapter() {
            int cut = taskId.indexOf('_');
            return cut < 0 ? taskId : taskId.substring(0, cut);
        }
    }

    /** The outcome of one graded test. */
    record Outcome(GradedTest test, boolean passed, String output) {}

    /** A task's score: the sum over its tests. */
    record Score(String id, String title, int earned, int possible, String output) {}

    private Grader() {}

    public static void main(String[] args) throws Exception {
        String require = "none";
        String pkg = "org.memlean.exercises";
        boolean json = false;
        long maxSeconds = 1800;
        Set<String> chapters = new LinkedHashSet<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--require" -> require = value(args, ++i, a);
                case "--json" -> json = true;
                case "--package" -> pkg = value(args, ++i, a);
                case "--max-seconds" -> maxSeconds = Long.parseLong(value(args, ++i, a));
                case "--chapter" -> {
                    for (String c : value(args, ++i, a).split(",")) chapters.add(String.format("task%02d", Integer.parseInt(c.strip())));
                }
                case "-h", "--help" -> {
                    System.out.println("usage: ./memlean grade [--solutions] [--chapter 01[,02…]] [--json] [--require full|zero] "
                            + "[--max-seconds N]\n  --json prints Gradescope's results.json on standard output");
                    System.exit(0);
                }
                default -> usage("unknown argument '" + a + "'");
            }
        }
        if (!Set.of("none", "full", "zero").contains(require)) usage("--require takes full or zero, not '" + require + "'");
        PrintStream table = json ? System.err : System.out;
        long start = System.nanoTime();
        List<Score> scores = grade(pkg, chapters, Duration.ofSeconds(maxSeconds), TIMEOUT, CHILD_OPTIONS, System.err);
        int earned = scores.stream().mapToInt(Score::earned).sum();
        int possible = scores.stream().mapToInt(Score::possible).sum();
        printTable(scores, table);
        if (json) System.out.println(Json.write(gradescope(scores, (System.nanoTime() - start) / 1e9)));
        boolean ok = switch (require) {
            case "full" -> possible > 0 && earned == possible;
            case "zero" -> possible > 0 && earned == 0;
            default -> true;
        };
        if (!ok) System.err.println("grade: expected a " + require + " score, got " + earned + "/" + possible);
        System.exit(ok ? 0 : 1);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) usage(option + " needs a value");
        return args[i];
    }

    private static void usage(String message) {
        System.err.println("grade: " + message + " (see: ./memlean grade --help)");
        System.exit(2);
    }

    /** Every graded test under {@code pkg}, found without running anything. */
    static List<GradedTest> discover(String pkg) {
        Launcher launcher = LauncherFactory.create();
        TestPlan plan = launcher.discover(LauncherDiscoveryRequestBuilder.request().selectors(selectPackage(pkg)).build());
        List<GradedTest> tests = new ArrayList<>();
        for (TestIdentifier root : plan.getRoots()) {
            for (TestIdentifier id : plan.getDescendants(root)) {
                GradeRunner.task(id).ifPresent(t -> tests.add(new GradedTest(t.id(), t.title(), t.points(), id.getDisplayName())));
            }
        }
        return tests;
    }

    /** Grades the tasks of {@code chapters} (all when empty), each chapter in a child JVM. */
    static List<Score> grade(String pkg, Set<String> chapters, Duration limit, String testTimeout, String childOptions,
                             PrintStream progress) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        Map<String, List<GradedTest>> byChapter = new TreeMap<>();
        for (GradedTest t : discover(pkg)) {
            if (chapters.isEmpty() || chapters.contains(t.chapter())) byChapter.computeIfAbsent(t.chapter(), k -> new ArrayList<>()).add(t);
        }
        if (byChapter.isEmpty()) throw new IllegalArgumentException("no graded tasks found" + (chapters.isEmpty() ? "" : " for " + chapters));
        List<Outcome> outcomes = new ArrayList<>();
        for (Map.Entry<String, List<GradedTest>> chapter : byChapter.entrySet()) {
            List<GradedTest> tests = chapter.getValue();
            if (System.nanoTime() > deadline) {
                for (GradedTest t : tests) outcomes.add(new Outcome(t, false, "not graded: the run's limit of "
                        + limit.toSeconds() + " s was reached"));
                continue;
            }
            progress.println("grade: " + chapter.getKey() + " (" + tests.size() + " tests)…");
            Child run = runChild(pkg, tests, deadline, testTimeout, childOptions);
            List<GradedTest> unreported = new ArrayList<>(tests);
            for (Outcome o : run.outcomes()) {
                outcomes.add(o);
                unreported.removeIf(t -> t.test().equals(o.test().test()) && t.taskId().equals(o.test().taskId()));
            }
            if (unreported.isEmpty()) continue;
            // the child ended (or was stopped) before reporting these: run each task alone to find the culprit
            Set<String> tasks = new LinkedHashSet<>();
            for (GradedTest t : unreported) tasks.add(t.taskId());
            for (String task : tasks) {
                List<GradedTest> alone = unreported.stream().filter(t -> t.taskId().equals(task)).toList();
                Child single = tasks.size() == 1 ? run : runChild(pkg, alone, deadline, testTimeout, childOptions);
                List<GradedTest> missing = new ArrayList<>(alone);
                for (Outcome o : single.outcomes()) {
                    if (missing.removeIf(t -> t.test().equals(o.test().test()))) outcomes.add(o);
                }
                for (GradedTest t : missing) outcomes.add(new Outcome(t, false, single.why()));
            }
        }
        Map<String, Score> scores = new TreeMap<>();
        for (Outcome o : outcomes) {
            GradedTest t = o.test();
            Score s = new Score(t.taskId(), t.title(), o.passed() ? t.points() : 0, t.points(), o.passed() ? "" : o.output());
            scores.merge(t.taskId(), s, (a, b) -> new Score(a.id(), a.title(), a.earned() + b.earned(),
                    a.possible() + b.possible(), a.output().isEmpty() ? b.output() : a.output()));
        }
        return new ArrayList<>(scores.values());
    }

    /** What a child reported, and why it stopped if it did not finish cleanly. */
    record Child(List<Outcome> outcomes, String why) {}

    private static Child runChild(String pkg, List<GradedTest> tests, long deadline, String testTimeout,
                                  String childOptions) throws IOException, InterruptedException {
        Path results = Files.createTempFile("memlean-grade", ".jsonl");
        Path log = Files.createTempFile("memlean-grade", ".log");
        try {
            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElse("java"));
            for (String o : childOptions.split("\\s+")) if (!o.isBlank()) command.add(o);
            command.add("-Dmemlean.grade.timeout=" + testTimeout);
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(GradeRunner.class.getName());
            command.add(pkg);
            command.add(results.toString());
            tests.stream().map(GradedTest::taskId).distinct().forEach(command::add);
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long perTest = Duration.parse("PT" + testTimeout.toUpperCase(Locale.ROOT)).toSeconds();
            long allowed = Math.min(tests.size() * perTest + CHILD_OVERHEAD_SECONDS,
                    Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime())));
            boolean finished = p.waitFor(allowed, TimeUnit.SECONDS);
            String why;
            if (!finished) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor();
                why = "did not finish in " + allowed + " s and was stopped (an endless loop?)";
            } else if (p.exitValue() == 0) {
                why = "ended without a result";
            } else {
                String output = Files.readString(log, StandardCharsets.UTF_8);
                why = output.contains("OutOfMemoryError") ? "ran out of Java heap (OutOfMemoryError)"
                        : "ended its JVM with exit code " + p.exitValue() + " before reporting (System.exit?)";
            }
            List<Outcome> outcomes = new ArrayList<>();
            if (Files.exists(results)) {
                ObjectMapper mapper = new ObjectMapper();
                for (String line : Files.readAllLines(results, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) continue;
                    JsonNode n = mapper.readTree(line);
                    GradedTest t = new GradedTest(n.get("id").asText(), n.get("title").asText(), n.get("points").asInt(),
                            n.get("test").asText());
                    outcomes.add(new Outcome(t, n.get("passed").asBoolean(), n.get("output").asText()));
                }
            }
            return new Child(outcomes, why);
        } finally {
            Files.deleteIfExists(results);
            Files.deleteIfExists(log);
        }
    }

    static void printTable(List<Score> scores, PrintStream out) {
        int earned = 0;
        int possible = 0;
        for (Score s : scores) {
            out.printf(Locale.ROOT, "%-10s %-56s %3d/%d%n", s.id(), s.title(), s.earned(), s.possible());
            if (!s.output().isEmpty()) out.printf("           └ %s%n", s.output());
            earned += s.earned();
            possible += s.possible();
        }
        out.printf(Locale.ROOT, "%-10s %-56s %3d/%d%n", "total", "", earned, possible);
    }

    /** Gradescope's results.json: the total, and per task its score, maximum, status and output. */
    static Map<String, Object> gradescope(List<Score> scores, double seconds) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("score", scores.stream().mapToInt(Score::earned).sum());
        out.put("execution_time", Math.round(seconds));
        List<Object> tests = new ArrayList<>();
        for (Score s : scores) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("name", s.id() + ": " + s.title());
            t.put("number", s.id());
            t.put("score", s.earned());
            t.put("max_score", s.possible());
            t.put("status", s.earned() == s.possible() ? "passed" : "failed");
            t.put("output", s.output());
            tests.add(t);
        }
        out.put("tests", tests);
        return out;
    }
}
