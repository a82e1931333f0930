package org.memlean.grading;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs the graded tests on the class path and prints a score per task and the total.
 *
 * <p>Each test is stopped after 60 s by default (JUnit runs it on a thread of its own and
 * moves on), and scores 0; a failing or hanging task never stops the others.
 * {@code --require full} (or {@code zero}) makes the exit code say whether the score was that.
 */
public final class Grader {
    /** Per-test limit; {@code -Dmemlean.grade.timeout=5s} changes it. */
    static final String TIMEOUT = System.getProperty("memlean.grade.timeout", "60s");

    private record Score(String title, int possible, int earned, String firstFailure) {}

    public static void main(String[] args) {
        String require = "none";
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--require") && i + 1 < args.length) require = args[++i];
            else {
                System.err.println("grade: unknown argument '" + args[i] + "' (use --require full|zero)");
                System.exit(2);
            }
        }
        Map<String, Score> scores = new TreeMap<>();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectPackage("org.memlean.exercises"))
                .configurationParameter("junit.jupiter.execution.timeout.default", TIMEOUT)
                .configurationParameter("junit.jupiter.execution.timeout.thread.mode.default", "SEPARATE_THREAD")
                .build();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                task(id).ifPresent(t -> {
                    boolean passed = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL;
                    String why = passed ? null : result.getThrowable().map(Grader::reason).orElse("failed");
                    scores.merge(t.id(), new Score(t.title(), t.points(), passed ? t.points() : 0, why),
                            (a, b) -> new Score(a.title(), a.possible() + b.possible(), a.earned() + b.earned(),
                                    a.firstFailure() != null ? a.firstFailure() : b.firstFailure()));
                });
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                task(id).ifPresent(t -> scores.merge(t.id(), new Score(t.title(), t.points(), 0, "skipped: " + reason),
                        (a, b) -> new Score(a.title(), a.possible() + b.possible(), a.earned(), a.firstFailure())));
            }
        });
        int earned = 0;
        int possible = 0;
        for (Map.Entry<String, Score> e : scores.entrySet()) {
            Score s = e.getValue();
            System.out.printf(Locale.ROOT, "%-10s %-52s %3d/%d%n", e.getKey(), s.title(), s.earned(), s.possible());
            if (s.firstFailure() != null) System.out.printf("           └ %s%n", s.firstFailure());
            earned += s.earned();
            possible += s.possible();
        }
        System.out.printf(Locale.ROOT, "%-10s %-52s %3d/%d%n", "total", "", earned, possible);
        boolean ok = switch (require) {
            case "full" -> possible > 0 && earned == possible;
            case "zero" -> possible > 0 && earned == 0;
            default -> true;
        };
        if (!ok) System.err.println("grade: expected a " + require + " score, got " + earned + "/" + possible);
        System.exit(ok ? 0 : 1);
    }

    private static Optional<Task> task(TestIdentifier id) {
        return id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast).flatMap(m -> {
            try {
                Method method = m.getJavaMethod();
                return Optional.ofNullable(method.getAnnotation(Task.class));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        });
    }

    private static String reason(Throwable t) {
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        message = message.strip().replaceAll("\\s+", " ");
        if (t instanceof java.util.concurrent.TimeoutException || message.contains("timed out")) {
            return "timed out after " + TIMEOUT;
        }
        return message.length() > 160 ? message.substring(0, 157) + "…" : message;
    }
}
