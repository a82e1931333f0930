package org.memlean.grading;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.memlean.lab.Json;

/** Nothing a task does takes the grading down or sets its own score; the results read as Gradescope's results.json. */
class GraderTest {
    private static Map<String, Grader.Score> grade(String fixtures) throws Exception {
        Grader.Options o = new Grader.Options("org.memlean.grading.fixtures." + fixtures, List.of(), Set.of(),
                Duration.ofSeconds(300), 5, 7, "-Xmx256m");
        List<Grader.Score> scores = Grader.grade(o, new PrintStream(new ByteArrayOutputStream()));
        return scores.stream().collect(Collectors.toMap(Grader.Score::id, s -> s));
    }

    @Test
    void aTaskThatExitsExhaustsTheHeapOrLoopsScoresZeroAndEveryOtherTaskIsGraded() throws Exception {
        long start = System.nanoTime();
        Map<String, Grader.Score> byId = grade("misbehave");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(byId.keySet()).containsExactlyInAnyOrder("task90_1", "task90_2", "task90_3", "task90_4", "task90_5",
                "task91_1");
        assertThat(byId.get("task90_1").earned()).isEqualTo(10);
        assertThat(byId.get("task91_1").earned()).as("the chapter after the misbehaving one").isEqualTo(5);
        assertThat(byId.get("task90_2").earned()).isZero();
        assertThat(byId.get("task90_2").output()).contains("System.exit");
        assertThat(byId.get("task90_3").earned()).isZero();
        assertThat(byId.get("task90_3").output()).contains("OutOfMemoryError");
        assertThat(byId.get("task90_4").earned()).isZero();
        assertThat(byId.get("task90_4").output()).containsAnyOf("timed out", "stopped");
        assertThat(byId.get("task90_5").earned()).isZero();
        assertThat(byId.get("task90_5").output()).contains("the answer");
        assertThat(seconds).as("the loop is stopped, not waited for").isLessThan(240);
    }

    /** #31.1–2: a printed line that imitates a result voids its chapter; the next chapter is graded. */
    @Test
    void aForgedOrMalformedResultLineZeroesItsChapterAndNothingElse() throws Exception {
        Map<String, Grader.Score> byId = grade("forge");
        assertThat(byId.get("task92_1").earned()).isZero();
        assertThat(byId.get("task92_1").output()).contains("not written by the grader");
        assertThat(byId.get("task93_1").earned()).as("another chapter, which a forged line named").isEqualTo(5);
    }

    /** #31.4: a task that leaves grad mode off, or sets the device's limit, fails itself and no other task. */
    @Test
    void aTaskThatLeavesTheFrameworkChangedFailsAndTheNextStartsClean() throws Exception {
        Map<String, Grader.Score> byId = grade("state");
        assertThat(byId.get("task95_1").earned()).isZero();
        assertThat(byId.get("task95_1").output()).contains("grad mode left off");
        assertThat(byId.get("task95_2").earned()).as("needs grad mode, after the task that left it off").isEqualTo(10);
        assertThat(byId.get("task95_3").earned()).isZero();
        assertThat(byId.get("task95_3").output()).contains("device's limit");
        assertThat(byId.get("task95_4").earned()).as("allocates, after the task that set a 1-byte limit").isEqualTo(10);
    }

    /** #31.9: stopping the grader (SIGTERM) stops the child running a task, and anything it started. */
    @Test
    void stoppingTheGraderStopsItsChildren() throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), Grader.class.getName(), "--exercises", "/nonexistent",
                "--package", "org.memlean.grading.fixtures.slow"));
        Process grader = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        List<ProcessHandle> children = List.of();
        for (int i = 0; i < 300 && children.isEmpty(); i++) {
            Thread.sleep(200);
            children = grader.descendants().toList();
        }
        assertThat(children).as("the grader started a child for the sleeping task").isNotEmpty();
        Thread.sleep(1000);
        grader.destroy();                                            // SIGTERM
        assertThat(grader.waitFor(60, TimeUnit.SECONDS)).isTrue();
        for (ProcessHandle child : children) {
            child.onExit().get(30, TimeUnit.SECONDS);
            assertThat(child.isAlive()).as("child %d after the grader's SIGTERM", child.pid()).isFalse();
        }
    }

    @Test
    void theJsonHasGradescopesShape() throws Exception {
        List<Grader.Score> scores = List.of(new Grader.Score("task01_1", "the loop", 20, 20, ""),
                new Grader.Score("task01_2", "a budget", 0, 20, "expected 4 but was 2"));
        JsonNode root = new ObjectMapper().readTree(Json.write(Grader.gradescope(scores, 12.3)));
        assertThat(root.get("score").asInt()).isEqualTo(20);
        assertThat(root.get("execution_time").asLong()).isEqualTo(12);
        JsonNode tests = root.get("tests");
        assertThat(tests.size()).isEqualTo(2);
        for (JsonNode t : tests) {
            assertThat(t.get("name").isTextual()).isTrue();
            assertThat(t.get("score").isNumber()).isTrue();
            assertThat(t.get("max_score").isNumber()).isTrue();
            assertThat(t.get("output").isTextual()).isTrue();
        }
        assertThat(tests.get(1).get("status").asText()).isEqualTo("failed");
        assertThat(tests.get(1).get("output").asText()).isEqualTo("expected 4 but was 2");
    }

    @Test
    void expectNamesEachTaskThatScoredOtherwiseAndEachMissingOne() {
        List<Grader.Score> scores = List.of(new Grader.Score("task01_1", "the loop", 20, 20, ""),
                new Grader.Score("task01_2", "a budget", 0, 20, "expected 4 but was 2"),
                new Grader.Score("task01_3", "a question", 5, 5, ""));
        assertThat(Grader.compare(Map.of("task01_1", 20, "task01_2", 0, "task01_3", 5), scores)).isEmpty();
        assertThat(Grader.compare(Map.of("task01_1", 0, "task01_2", 0, "task01_4", 5), scores)).containsExactlyInAnyOrder(
                "task01_1 scored 20, expected 0", "task01_4 was expected but not graded",
                "task01_3 was graded but has no expected score");
    }
}
