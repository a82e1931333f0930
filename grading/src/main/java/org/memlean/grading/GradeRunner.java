package org.memlean.grading;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.memlean.lab.Json;
import org.memlean.memory.Device;

/**
 * Runs the graded tests of some tasks in this JVM — a child the {@link Grader} started — and reports
 * each finished test on the result channel: one authenticated line on this process's original
 * standard output, which nothing else writes (the exercises' own printing goes to standard error).
 * The key comes first on standard input, read before any exercise code is loaded. Every test starts
 * from the framework's fresh state ({@link CleanState}).
 *
 * <pre>java … GradeRunner &lt;package&gt; &lt;tag&gt;…   (standard input: the channel's key)</pre>
 */
public final class GradeRunner {
    /** The device limit a child runs under: what its native memory may reach (a runaway task fails, not the machine). */
    static final long NATIVE_LIMIT = Long.getLong("memlean.grade.nativeLimit", 3L << 30);

    private GradeRunner() {}

    public static void main(String[] args) throws Exception {
        Channel channel = new Channel(readKey(System.in));
        PrintStream results = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
        System.setIn(InputStream.nullInputStream());
        Device.setLimitBytes(NATIVE_LIMIT);
        String pkg = args[0];
        List<String> tags = List.of(args).subList(1, args.length);
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectPackage(pkg))
                .filters(TagFilter.includeTags(tags))
                .configurationParameter("junit.jupiter.execution.timeout.default", System.getProperty("memlean.grade.timeout", "60s"))
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                .build();
        Launcher launcher = LauncherFactory.create();
        try {
            run(launcher, request, channel, results);
        } catch (Throwable t) {                        // an unrecoverable error JUnit rethrows: say it, and end
            System.err.println("grade runner: " + t);
            results.flush();
            Runtime.getRuntime().halt(1);
        }
        results.flush();
        Runtime.getRuntime().halt(0);   // done: no lingering thread or shutdown hook of a task runs after this
    }

    private static void run(Launcher launcher, LauncherDiscoveryRequest request, Channel channel, PrintStream results) {
        launcher.execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (task(id).isEmpty()) return;
                boolean passed = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL;
                report(channel, results, id, passed, passed ? "" : result.getThrowable().map(GradeRunner::describe).orElse("failed"));
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (task(id).isPresent()) report(channel, results, id, false, "skipped: " + reason);
            }
        });
    }

    private static String readKey(InputStream in) throws java.io.IOException {
        String key = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII)).readLine();
        if (key == null || key.length() < 32) throw new IllegalStateException("the grader gives a child its key on standard input");
        return key.strip();
    }

    private static void report(Channel channel, PrintStream out, TestIdentifier id, boolean passed, String output) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("test", testName(id));
        line.put("passed", passed);
        line.put("output", output);
        synchronized (out) {
            out.println(channel.line(Json.write(line)));
        }
    }

    /** "org.memlean.exercises.ch09.InPlaceOpsTest#reluInPlace": how the parent knows each test. */
    static String testName(TestIdentifier id) {
        return id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                .map(m -> m.getClassName() + "#" + m.getMethodName()).orElse(id.getUniqueId());
    }

    static Optional<Task> task(TestIdentifier id) {
        return id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast).flatMap(m -> {
            try {
                Method method = m.getJavaMethod();
                return Optional.ofNullable(method.getAnnotation(Task.class));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        });
    }

    /** The failure in a line or two: its message, and where in the learner's code it came from. */
    static String describe(Throwable t) {
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        message = message.strip().replaceAll("\\s+", " ");
        if (t instanceof TimeoutException || message.contains("timed out after")) {
            return "timed out after " + System.getProperty("memlean.grade.timeout", "60s")
                    + " (the limit scales with this machine's speed, measured when grading started)";
        }
        if (message.length() > 1000) message = message.substring(0, 997) + "…";
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        String where = trace.toString().lines().filter(l -> l.contains("org.memlean.exercises")
                && !l.contains("Test.java") && !l.contains("Test$")).findFirst().map(String::strip).orElse("");
        return where.isEmpty() ? message : message + " (" + where + ")";
    }
}
