package org.memlean.grading;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

/**
 * Runs the graded tests of some tasks in this JVM — a child the {@link Grader} started — and appends
 * one JSON line per finished test to a result file, flushed at once: if a test ends the JVM
 * (System.exit, an OutOfMemoryError, a kill after a hang), the lines already written survive.
 *
 * <pre>java … GradeRunner &lt;package&gt; &lt;result file&gt; &lt;tag&gt;…</pre>
 */
public final class GradeRunner {
    private GradeRunner() {}

    public static void main(String[] args) throws IOException {
        String pkg = args[0];
        Path results = Path.of(args[1]);
        List<String> tags = List.of(args).subList(2, args.length);
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectPackage(pkg))
                .filters(TagFilter.includeTags(tags))
                .configurationParameter("junit.jupiter.execution.timeout.default", Grader.TIMEOUT)
                .configurationParameter("junit.jupiter.execution.timeout.thread.mode.default", "SEPARATE_THREAD")
                .build();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                task(id).ifPresent(t -> {
                    boolean passed = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL;
                    String output = passed ? "" : result.getThrowable().map(GradeRunner::describe).orElse("failed");
                    write(results, t, id.getDisplayName(), passed, output);
                });
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                task(id).ifPresent(t -> write(results, t, id.getDisplayName(), false, "skipped: " + reason));
            }
        });
        System.exit(0);   // JUnit's timeout threads may linger: the child is done
    }

    private static void write(Path results, Task t, String test, boolean passed, String output) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("id", t.id());
        line.put("title", t.title());
        line.put("points", t.points());
        line.put("test", test);
        line.put("passed", passed);
        line.put("output", output);
        try {
            Files.writeString(results, Json.write(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        if (t instanceof TimeoutException || message.contains("timed out")) {
            return "timed out after " + Grader.TIMEOUT;
        }
        if (message.length() > 300) message = message.substring(0, 297) + "…";
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        String where = trace.toString().lines().filter(l -> l.contains("org.memlean.exercises")
                && !l.contains("Test.java")).findFirst().map(String::strip).orElse("");
        return where.isEmpty() ? message : message + " (" + where + ")";
    }
}
