package org.memlean.grading;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.platform.engine.support.descriptor.MethodSource;
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
 * <p>What a task's code cannot do to the grade:
 * <ul>
 *   <li><b>set its own score.</b> This process owns the task list and each task's points (from the
 *       tests it found); a child reports only pass or fail, per test, on an authenticated channel
 *       ({@link Channel}) and only for its own chapter's tests. A line that claims a result and is not
 *       authentic, a duplicate or an unknown test zeroes that chapter, with the reason.</li>
 *   <li><b>take a shortcut.</b> The exercise classes are read before anything runs; a task whose code
 *       calls a forbidden shortcut (the chapters, common's formulas) or reaches outside the exercise
 *       (files, processes, threads, reflection, the JVM's exit) scores 0, with the call named
 *       ({@link ForbiddenCalls}).</li>
 *   <li><b>change the tests.</b> The tests and this grader run from classes compiled afresh for this
 *       run ({@code ./memlean grade} compiles them, or an instructor's copy with {@code --tests-from});
 *       their checksums are taken at the start and checked after every chapter.</li>
 *   <li><b>take the grading down.</b> Each chapter runs in a child JVM of its own, with a bounded heap
 *       and device; a test that ends its JVM, exhausts it or never returns costs that child only —
 *       it is stopped, its process tree killed, and its unreported tasks run again one per child so
 *       the culprit scores 0 with the reason. Every test starts from the framework's fresh state
 *       ({@link CleanState}). Time limits scale with this machine's speed ({@link Calibration}).</li>
 * </ul>
 *
 * <pre>
 * Grader --exercises DIR[:DIR…] [--chapter 01[,02…]] [--json] [--out FILE] [--require full|zero]
 *        [--expect FILE] [--max-seconds N] [--seed N] [--package P]
 * </pre>
 */
public final class Grader {
    /** JVM options of the children: a bounded heap, so a runaway test fails fast. */
    static final String CHILD_OPTIONS = System.getProperty("memlean.grade.childOptions", "-Xmx2g");
    /** Seconds a child needs besides its tests (JVM start, ND4J's natives). */
    static final long CHILD_OVERHEAD_SECONDS = 60;
    private static final Pattern CHAPTER = Pattern.compile("\\d{1,2}");
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    /** One graded test: its task, its points, where it is. A task may have several. */
    record GradedTest(String taskId, String title, int points, String explanation, String test) {
        String chapter() {
            return taskId.substring(4, 6);
        }
    }

    /** The outcome of one graded test. */
    record Outcome(GradedTest test, boolean passed, String output) {}

    /** A task's score: the sum over its tests. */
    record Score(String id, String title, int earned, int possible, String output) {}

    /** How a run is set up. */
    record Options(String pkg, List<Path> exercises, Set<String> chapters, Duration limit, long testSeconds,
                   long seed, String childOptions) {}

    private Grader() {}

    public static void main(String[] args) {
        String require = "none";
        String pkg = "org.memlean.exercises";
        boolean json = false;
        Path out = null;
        Path expect = null;
        long maxSeconds = 1800;
        long seed = new java.security.SecureRandom().nextInt(1_000_000);
        List<Path> exercises = new ArrayList<>();
        Set<String> chapters = new LinkedHashSet<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String inline = a.startsWith("--") && a.contains("=") ? a.substring(a.indexOf('=') + 1) : null;
            String flag = inline == null ? a : a.substring(0, a.indexOf('='));
            switch (flag) {
                case "--require" -> require = inline != null ? inline : value(args, ++i, a);
                case "--json" -> json = true;
                case "--out" -> out = Path.of(inline != null ? inline : value(args, ++i, a));
                case "--expect" -> expect = Path.of(inline != null ? inline : value(args, ++i, a));
                case "--package" -> pkg = inline != null ? inline : value(args, ++i, a);
                case "--max-seconds" -> maxSeconds = number(flag, inline != null ? inline : value(args, ++i, a), 1, 86_400);
                case "--seed" -> seed = number(flag, inline != null ? inline : value(args, ++i, a), 0, Long.MAX_VALUE);
                case "--exercises" -> {
                    for (String d : (inline != null ? inline : value(args, ++i, a)).split(":")) {
                        if (!d.isBlank()) exercises.add(Path.of(d));
                    }
                }
                case "--chapter" -> {
                    String list = inline != null ? inline : value(args, ++i, a);
                    for (String c : list.split(",", -1)) {
                        String s = c.strip();
                        if (!CHAPTER.matcher(s).matches()) {
                            usage("--chapter takes chapter numbers such as 02 or 1,7 — '" + s + "' in '" + list + "' is not one");
                        }
                        chapters.add(String.format(Locale.ROOT, "%02d", Integer.parseInt(s)));
                    }
                }
                case "-h", "--help" -> {
                    System.out.println("usage: ./memlean grade [--solutions] [--chapter 01[,02…]] [--json] [--out FILE] "
                            + "[--require full|zero] [--expect FILE] [--max-seconds N] [--seed N] [--tests-from DIR]\n"
                            + "  --expect FILE fails unless each task scores as FILE says ({\"task01_1\": 20, …})\n"
                            + "  --json prints Gradescope's results.json on standard output (--out FILE writes it to FILE)\n"
                            + "  --seed N draws the tests' configurations as a run with that seed did (failures print it)");
                    System.exit(0);
                }
                default -> usage("unknown argument '" + a + "'");
            }
        }
        if (!Set.of("none", "full", "zero").contains(require)) usage("--require takes full or zero, not '" + require + "'");
        if (exercises.isEmpty()) usage("--exercises DIR is missing (./memlean grade passes it)");
        if (expect != null && !require.equals("none")) usage("--expect and --require ask for different things; give one");
        Map<String, Integer> expected = expect == null ? null : readExpected(expect);
        if (expected != null && !chapters.isEmpty()) {
            expected.keySet().removeIf(id -> id.length() < 6 || !chapters.contains(id.substring(4, 6)));
        }
        String timeout = System.getProperty("memlean.grade.timeout", "60s");
        long testSeconds = parseSeconds(timeout);
        PrintStream table = json && out == null ? System.err : System.out;
        Runtime.getRuntime().addShutdownHook(new Thread(Grader::stopChildren, "stop graded children"));
        long start = System.nanoTime();
        List<Score> scores;
        try {
            scores = grade(new Options(pkg, exercises, chapters, Duration.ofSeconds(maxSeconds), testSeconds, seed,
                    CHILD_OPTIONS), System.err);
        } catch (IllegalArgumentException e) {
            usage(e.getMessage());
            return;
        } catch (IOException | InterruptedException e) {
            System.err.println("grade: " + e.getMessage());
            System.exit(1);
            return;
        }
        stopChildren();
        int earned = scores.stream().mapToInt(Score::earned).sum();
        int possible = scores.stream().mapToInt(Score::possible).sum();
        printTable(scores, table);
        table.printf(Locale.ROOT, "seed %d (./memlean grade --seed %d draws the same configurations)%n", seed, seed);
        if (json) {
            String results = Json.write(gradescope(scores, (System.nanoTime() - start) / 1e9)) + "\n";
            if (out == null) {
                System.out.print(results);
            } else {
                try {
                    writeAtomically(out, results);
                } catch (IOException e) {
                    System.err.println("grade: cannot write " + out + ": " + e.getMessage());
                    System.exit(1);
                }
            }
        }
        boolean ok = switch (require) {
            case "full" -> possible > 0 && earned == possible;
            case "zero" -> possible > 0 && earned == 0;
            default -> true;
        };
        if (!ok) System.err.println("grade: expected a " + require + " score, got " + earned + "/" + possible);
        if (expected != null) {
            List<String> wrong = compare(expected, scores);
            wrong.forEach(w -> System.err.println("grade: " + w));
            if (!wrong.isEmpty()) ok = false;
            else System.err.println("grade: every task scored as " + expect + " expects");
        }
        System.out.flush();
        Runtime.getRuntime().halt(ok ? 0 : 1);
    }

    /** {@code {"task01_1": 20, …}}: the score each task must get (how CI checks its hostile stubs). */
    static Map<String, Integer> readExpected(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            usage("--expect " + file + ": cannot read it (" + e.getMessage() + ")");
            return Map.of();
        }
        if (root == null || !root.isObject()) usage("--expect " + file + ": not a JSON object of task → score");
        Map<String, Integer> expected = new TreeMap<>();
        root.fields().forEachRemaining(e -> {
            if (!e.getValue().canConvertToInt()) usage("--expect " + file + ": " + e.getKey() + " is not a whole number");
            expected.put(e.getKey(), e.getValue().asInt());
        });
        return expected;
    }

    /** Each task whose score is not the expected one, and each task one side has and the other lacks. */
    static List<String> compare(Map<String, Integer> expected, List<Score> scores) {
        List<String> wrong = new ArrayList<>();
        Map<String, Score> byId = new TreeMap<>();
        for (Score s : scores) byId.put(s.id(), s);
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            Score s = byId.get(e.getKey());
            if (s == null) wrong.add(e.getKey() + " was expected but not graded");
            else if (s.earned() != e.getValue()) wrong.add(e.getKey() + " scored " + s.earned() + ", expected " + e.getValue()
                    + (s.output().isEmpty() ? "" : " (" + s.output() + ")"));
        }
        for (String id : byId.keySet()) if (!expected.containsKey(id)) wrong.add(id + " was graded but has no expected score");
        return wrong;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) usage(option + " needs a value");
        return args[i];
    }

    private static long number(String option, String text, long min, long max) {
        long n;
        try {
            n = Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            usage(option + " takes a whole number from " + min + " to " + max + ", not '" + text + "'");
            return 0;
        }
        if (n < min || n > max) usage(option + " takes a whole number from " + min + " to " + max + ", not " + n);
        return n;
    }

    /** "60s", "2m", "90": seconds, from 1 to a day. */
    static long parseSeconds(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        long unit = t.endsWith("m") ? 60 : 1;
        String digits = t.endsWith("s") || t.endsWith("m") ? t.substring(0, t.length() - 1) : t;
        long n;
        try {
            n = Long.parseLong(digits) * unit;
        } catch (NumberFormatException e) {
            usage("MEMLEAN_GRADE_TIMEOUT takes seconds such as 60s or 2m, not '" + text + "'");
            return 0;
        }
        if (n < 1 || n > 86_400) usage("MEMLEAN_GRADE_TIMEOUT takes 1 s to a day, not '" + text + "'");
        return n;
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
                if (id.getSource().filter(MethodSource.class::isInstance).isEmpty()) continue;
                GradeRunner.task(id).ifPresent(t -> tests.add(new GradedTest(t.id(), t.title(), t.points(), t.explanation(),
                        GradeRunner.testName(id))));
            }
        }
        return tests;
    }

    /** Grades the tasks of the chosen chapters (all when none), each chapter in a child JVM. */
    static List<Score> grade(Options o, PrintStream progress) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + o.limit().toNanos();
        Map<String, List<GradedTest>> byChapter = new TreeMap<>();
        for (GradedTest t : discover(o.pkg())) byChapter.computeIfAbsent(t.chapter(), k -> new ArrayList<>()).add(t);
        if (byChapter.isEmpty()) throw new IllegalArgumentException("no graded tasks found in " + o.pkg());
        for (String c : o.chapters()) {
            if (!byChapter.containsKey(c)) {
                throw new IllegalArgumentException("no chapter " + c + " has graded tasks; the chapters are "
                        + String.join(", ", byChapter.keySet()));
            }
        }
        if (!o.chapters().isEmpty()) byChapter.keySet().retainAll(o.chapters());
        Path self = codeSource();
        String checksum = checksum(self);
        Map<String, List<ForbiddenCalls.Violation>> violations =
                new ForbiddenCalls(o.exercises(), List.of(self), o.pkg()).byTest();
        double slowdown = Calibration.slowdown();
        long testSeconds = Math.round(o.testSeconds() * slowdown);
        if (slowdown > 1.2) {
            progress.printf(Locale.ROOT, "grade: this machine runs %.1f× slower than an idle one now; each test gets %d s%n",
                    slowdown, testSeconds);
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Map.Entry<String, List<GradedTest>> chapter : byChapter.entrySet()) {
            List<GradedTest> toRun = new ArrayList<>();
            for (GradedTest t : chapter.getValue()) {
                List<ForbiddenCalls.Violation> v = violations.get(t.test());
                if (v == null) {
                    toRun.add(t);
                } else {
                    outcomes.add(new Outcome(t, false, "not run: " + v.get(0) + ", which the exercise may not call"
                            + (v.size() > 1 ? " (and " + (v.size() - 1) + " more forbidden calls)" : "")
                            + " — the task asks for the work itself"));
                }
            }
            if (toRun.isEmpty()) continue;
            if (System.nanoTime() > deadline) {
                for (GradedTest t : toRun) outcomes.add(new Outcome(t, false, "not graded: the run's limit of "
                        + o.limit().toSeconds() + " s was reached"));
                continue;
            }
            progress.println("grade: chapter " + chapter.getKey() + " (" + toRun.size() + " tests)…");
            outcomes.addAll(gradeChapter(chapter.getKey(), toRun, o, testSeconds, deadline));
            if (!checksum(self).equals(checksum)) {
                outcomes.removeIf(x -> x.test().chapter().equals(chapter.getKey()));
                for (GradedTest t : toRun) outcomes.add(new Outcome(t, false, "the grader's own classes changed while "
                        + "chapter " + chapter.getKey() + " was graded: its results are void"));
                throw new IOException("the grader's classes in " + self + " changed while chapter " + chapter.getKey()
                        + " was graded; grade again from a fresh build (./memlean grade recompiles them)");
            }
        }
        Map<String, Score> scores = new TreeMap<>();
        for (Outcome x : outcomes) {
            GradedTest t = x.test();
            String output = x.passed() ? (t.explanation().isEmpty() ? "" : "why: " + t.explanation()) : x.output();
            Score s = new Score(t.taskId(), t.title(), x.passed() ? t.points() : 0, t.points(), output);
            scores.merge(t.taskId(), s, (a, b) -> new Score(a.id(), a.title(), a.earned() + b.earned(),
                    a.possible() + b.possible(), a.earned() < a.possible() || b.output().isEmpty() ? a.output() : b.output()));
        }
        return new ArrayList<>(scores.values());
    }

    /** One chapter: its tests in one child; those a child ended or outlived before reporting, one task per child. */
    private static List<Outcome> gradeChapter(String chapter, List<GradedTest> tests, Options o, long testSeconds,
                                              long deadline) throws IOException, InterruptedException {
        List<Outcome> outcomes = new ArrayList<>();
        Child run = runChild(tests, o, testSeconds, deadline);
        if (run.forged() != null) {
            for (GradedTest t : tests) outcomes.add(new Outcome(t, false, run.forged()));
            return outcomes;
        }
        List<GradedTest> unreported = new ArrayList<>(tests);
        for (Outcome x : run.outcomes()) {
            outcomes.add(x);
            unreported.remove(x.test());
        }
        if (unreported.isEmpty()) return outcomes;
        Set<String> tasks = new LinkedHashSet<>();
        for (GradedTest t : unreported) tasks.add(t.taskId());
        for (String task : tasks) {
            List<GradedTest> alone = unreported.stream().filter(t -> t.taskId().equals(task)).toList();
            Child single = tasks.size() == 1 ? run : runChild(alone, o, testSeconds, deadline);
            if (single.forged() != null) {
                for (GradedTest t : alone) outcomes.add(new Outcome(t, false, single.forged()));
                continue;
            }
            List<GradedTest> missing = new ArrayList<>(alone);
            for (Outcome x : single.outcomes()) if (missing.remove(x.test())) outcomes.add(x);
            for (GradedTest t : missing) outcomes.add(new Outcome(t, false, single.why()));
        }
        return outcomes;
    }

    /** What a child reported; why it stopped if it did not finish cleanly; why its report is void, if it is. */
    record Child(List<Outcome> outcomes, String why, String forged) {}

    private static Child runChild(List<GradedTest> tests, Options o, long testSeconds, long deadline)
            throws IOException, InterruptedException {
        String key = Channel.newKey();
        Channel channel = new Channel(key);
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        for (String opt : o.childOptions().split("\\s+")) if (!opt.isBlank()) command.add(opt);
        command.add("-XX:+ExitOnOutOfMemoryError");     // a task that exhausts the heap ends its JVM, saying why
        command.add("-Dmemlean.grade.timeout=" + testSeconds + "s");
        command.add("-Dmemlean.grade.seed=" + o.seed());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(GradeRunner.class.getName());
        command.add(o.pkg());
        tests.stream().map(GradedTest::taskId).distinct().forEach(command::add);
        Process p = new ProcessBuilder(command).start();
        RUNNING.add(p);
        try (OutputStream stdin = p.getOutputStream()) {
            stdin.write((key + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        StringBuilder log = new StringBuilder();
        Thread out = drain(p.getInputStream(), lines::add);
        Thread err = drain(p.getErrorStream(), l -> {
            synchronized (log) {
                if (log.length() < 200_000) log.append(l).append('\n');
            }
        });
        long allowed = Math.min(tests.size() * testSeconds + CHILD_OVERHEAD_SECONDS,
                Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime())));
        boolean finished = p.waitFor(allowed, TimeUnit.SECONDS);
        stopTree(p);
        out.join(5000);
        err.join(5000);
        String why;
        if (!finished) {
            why = "did not finish in " + allowed + " s and was stopped (an endless loop?)";
        } else {
            String text;
            synchronized (log) {
                text = log.toString();
            }
            boolean heap = text.contains("OutOfMemoryError") || lines.stream().anyMatch(l -> l.contains("OutOfMemoryError"));
            why = heap ? "ran out of Java heap (OutOfMemoryError)"
                    : p.exitValue() == 0 ? "ended its JVM (System.exit(0)?) before reporting"
                    : "ended its JVM with exit code " + p.exitValue() + " before reporting (System.exit?)";
        }
        String printed;
        synchronized (log) {
            printed = log.toString();
        }
        if (Channel.claimsResult(printed)) {
            return new Child(List.of(), why, "void: the exercise printed a line claiming a result (not written by "
                    + "the grader) — the chapter scores 0");
        }
        Map<String, GradedTest> byName = new LinkedHashMap<>();
        for (GradedTest t : tests) byName.put(t.test(), t);
        List<Outcome> outcomes = new ArrayList<>();
        Set<String> reported = new LinkedHashSet<>();
        ObjectMapper mapper = new ObjectMapper();
        for (String line : List.copyOf(lines)) {
            if (!Channel.claimsResult(line)) continue;
            var payload = channel.payload(line);
            if (payload.isEmpty()) return new Child(List.of(), why, "void: a line claiming a result was not written by the grader "
                    + "(something in the exercise printed one?) — the chapter scores 0");
            JsonNode n;
            try {
                n = mapper.readTree(payload.get());
            } catch (IOException e) {
                return new Child(List.of(), why, "void: a result line could not be read — the chapter scores 0");
            }
            GradedTest t = byName.get(n.path("test").asText());
            if (t == null || !reported.add(t.test())) {
                return new Child(List.of(), why, "void: a result for a test this chapter did not run, or twice — the chapter scores 0");
            }
            outcomes.add(new Outcome(t, n.path("passed").asBoolean(false), n.path("output").asText("")));
        }
        return new Child(outcomes, why, null);
    }

    private static Thread drain(InputStream in, java.util.function.Consumer<String> sink) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) sink.accept(line);
            } catch (IOException ignored) {
                // the child is gone
            }
        }, "grade child output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Kills a child and everything it started, and waits until they are gone. */
    private static void stopTree(Process p) throws InterruptedException {
        List<ProcessHandle> tree = p.descendants().toList();
        tree.forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        for (ProcessHandle h : tree) h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
        RUNNING.remove(p);
    }

    /** On exit, Ctrl-C or SIGTERM: no child (nor anything a child started) outlives the grader. */
    private static void stopChildren() {
        for (Process p : List.copyOf(RUNNING)) {
            try {
                stopTree(p);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Path codeSource() {
        try {
            return Path.of(Grader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 over every class file below {@code dir}, in name order. */
    static String checksum(Path dir) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            if (!Files.isDirectory(dir)) return "jar";
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                    digest.update(dir.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
                    digest.update(Files.readAllBytes(f));
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(parent, ".results", ".json");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void printTable(List<Score> scores, PrintStream out) {
        int earned = 0;
        int possible = 0;
        for (Score s : scores) {
            out.printf(Locale.ROOT, "%-10s %-60s %3d/%d%n", s.id(), s.title(), s.earned(), s.possible());
            if (!s.output().isEmpty()) out.printf("           └ %s%n", s.output());
            earned += s.earned();
            possible += s.possible();
        }
        out.printf(Locale.ROOT, "%-10s %-60s %3d/%d%n", "total", "", earned, possible);
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
            t.put("number", s.id().substring(4).replace('_', '.'));
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
