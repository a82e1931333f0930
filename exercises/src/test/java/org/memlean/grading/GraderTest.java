package org.memlean.grading;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.memlean.lab.Json;

/** Nothing a task does takes the grading down; the results read as Gradescope's results.json. */
class GraderTest {
    @Test
    void aTaskThatExitsExhaustsTheHeapOrLoopsScoresZeroAndEveryOtherTaskIsGraded() throws Exception {
        long start = System.nanoTime();
        List<Grader.Score> scores = Grader.grade("org.memlean.grading.fixtures", Set.of(), Duration.ofSeconds(300), "5s",
                "-Xmx256m", new PrintStream(new ByteArrayOutputStream()));
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Grader.Score> byId = scores.stream().collect(Collectors.toMap(Grader.Score::id, s -> s));
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
        assertThat(seconds).as("the loop is stopped, not waited for").isLessThan(200);
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
}
