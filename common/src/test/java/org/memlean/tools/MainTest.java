package org.memlean.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.memlean.lab.Chapter;
import org.memlean.lab.Chapters;
import org.memlean.lab.FakeChapter;
import org.memlean.lab.Report;
import org.memlean.lab.Size;
import org.memlean.memory.Device;
import org.memlean.nn.GptConfig;
import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldOut;
    private PrintStream oldErr;

    @BeforeEach
    void capture() {
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.setErr(oldErr);
    }

    @Test
    void anUnknownChapterIsOneClearLineAndExitCodeTwo() {
        assertThat(Main.execute("run", "ch42")).isEqualTo(2);
        assertThat(err.toString().strip()).startsWith("memlean: unknown chapter 'ch42'").doesNotContain("\n")
                .doesNotContain("Exception");
    }

    @Test
    void aBadFlagIsOneClearLineAndExitCodeTwo() {
        assertThat(Main.execute("tour", "--fast")).isEqualTo(2);
        assertThat(err.toString().strip()).contains("Unknown option: '--fast'").doesNotContain("\n");
        err.reset();
        assertThat(Main.execute("anatomy", "--batch", "0")).isEqualTo(2);
        assertThat(err.toString().strip()).contains("must be positive").doesNotContain("\n");
    }

    @Test
    void runJsonIsOneObjectOfTheAgreedShapeWithEveryArm() throws Exception {
        assertThat(Main.execute("run", "ch99", "--quick", "--json")).isZero();
        String json = out.toString().strip();
        assertThat(json).doesNotContain("\n");
        JsonNode root = new ObjectMapper().readTree(json);
        assertThat(root.get("chapter").asInt()).isEqualTo(99);
        assertThat(root.get("title").asText()).isEqualTo("Test chapter（测试）");
        assertThat(root.get("threads").asInt()).isEqualTo(Device.computeThreads());
        assertThat(root.get("predicted").get("adamStateBytes").asLong()).isPositive();
        JsonNode arms = root.get("arms");
        assertThat(arms.size()).as("every arm the chapter measured, baseline first").isEqualTo(3);
        assertThat(arms.get(0).get("name").asText()).isEqualTo("AdamW").isEqualTo(root.get("baseline").get("name").asText());
        assertThat(arms.get(1).get("name").asText()).isEqualTo("SGD with momentum");
        assertThat(arms.get(2).get("name").asText()).isEqualTo("SGD").isEqualTo(root.get("technique").get("name").asText());
        for (JsonNode arm : arms) {
            assertThat(arm.get("peakBytes").asLong()).isPositive();
            long sum = 0;
            for (JsonNode v : arm.get("peakByCategory")) sum += v.asLong();
            assertThat(sum).as("the categories add up to the peak").isEqualTo(arm.get("peakBytes").asLong());
            assertThat(arm.get("stepMillis").asDouble()).isPositive();
            assertThat(arm.get("stepMillisLow").asDouble()).isLessThanOrEqualTo(arm.get("stepMillis").asDouble());
            assertThat(arm.get("workPerStep").asLong()).isPositive();
            assertThat(arm.get("workUnit").asText()).isEqualTo("matmul FLOPs");
            assertThat(arm.get("finalLoss").isNumber()).isTrue();
        }
        // the optimizer changes nothing the model computes: the same matmul work in every arm
        assertThat(arms.get(2).get("workPerStep").asLong()).isEqualTo(arms.get(0).get("workPerStep").asLong());
        // AdamW's two moments against none: the baseline's peak holds 8 bytes a parameter more state
        assertThat(arms.get(0).get("peakByCategory").get("OPTIMIZER_STATE").asLong())
                .isEqualTo(8 * GptConfig.defaults().parameterCount());
        assertThat(arms.get(2).get("peakByCategory").get("OPTIMIZER_STATE").asLong()).isZero();
    }

    @Test
    void theTourRunsEveryChapterPrintsTheTableAndWritesAnOfflineReport(@org.junit.jupiter.api.io.TempDir
                                                                       Path dir) throws Exception {
        Path report = dir.resolve("r/index.html");
        assertThat(Main.execute("tour", "--quick", "--report", report.toString())).isZero();
        assertThat(out.toString()).contains("ch99").contains("SGD instead of AdamW").contains("%")
                .contains("compute thread").contains("work");
        assertThat(err.toString()).contains("[1/1] ch99");
        String html = Files.readString(report);
        assertThat(html).contains("<img alt=\"Test chapter（测试）\" src=\"data:image/png;base64,")
                .doesNotContain("http://").doesNotContain("https://");
    }

    @Test
    void aFailingChapterIsReportedAndTheTourGoesOnWithExitCodeOne(@org.junit.jupiter.api.io.TempDir
                                                                  Path dir) {
        Chapter broken = new Chapter() {
            public int number() { return 98; }
            public String title() { return "broken"; }
            public String technique() { return "a technique that throws"; }
            public Report run(Size size) { throw new IllegalStateException("deliberately broken"); }
        };
        Chapters.override(List.of(broken, new FakeChapter()));
        try {
            assertThat(Main.execute("tour", "--quick", "--report", dir.resolve("r.html").toString())).isEqualTo(1);
            assertThat(out.toString()).contains("ch98").contains("failed: deliberately broken").contains("ch99");
            assertThat(err.toString()).contains("1 of 2 chapters failed");
        } finally {
            Chapters.override(null);
        }
    }

    @Test
    void theTourWithNoChaptersSaysSoAndExitsZero() {
        Chapters.override(List.of());
        try {
            assertThat(Main.execute("tour", "--quick")).isZero();
            assertThat(out.toString()).contains("No chapters are installed yet");
        } finally {
            Chapters.override(null);
        }
    }

    @Test
    void anatomyJsonPredictsTheMeasuredPeakWhereItFalls() throws Exception {
        assertThat(Main.execute("anatomy", "--json", "--batch", "4", "--digits", "3")).isZero();
        String json = out.toString().strip();
        assertThat(json).doesNotContain("\n");
        JsonNode root = new ObjectMapper().readTree(json);
        JsonNode measured = root.get("measured");
        JsonNode predicted = root.get("predicted");
        assertThat(predicted.get("peakBytes").asDouble())
                .isCloseTo(measured.get("peakBytes").asDouble(), Percentage.withPercentage(2));
        assertThat(predicted.get("peakAt").asText()).isNotEmpty();
        long sum = 0;
        for (JsonNode v : predicted.get("peakByCategory")) sum += v.asLong();
        assertThat(sum).isEqualTo(predicted.get("peakBytes").asLong());
        assertThat(root.get("phases").get("endOfForward").get("measured"))
                .isEqualTo(root.get("phases").get("endOfForward").get("predicted"));
    }

    @Test
    void aSizeThatCannotFitIsRefusedBeforeAnyWork() {
        for (String batch : new String[] {"2147483647", "134217728", "100000000", "5000000"}) {
            err.reset();
            long start = System.nanoTime();
            assertThat(Main.execute("anatomy", "--batch", batch)).as(batch).isEqualTo(2);
            assertThat(err.toString().strip()).as(batch).startsWith("memlean: a training step at batch " + batch)
                    .contains("Use a smaller --batch").doesNotContain("\n").doesNotContain("Exception");
            assertThat((System.nanoTime() - start) / 1e9).as("refused before any work").isLessThan(2.0);
        }
    }

    @Test
    void anUnwritableChartOrReportIsRefusedBeforeTheRun() throws Exception {
        long start = System.nanoTime();
        assertThat(Main.execute("run", "ch99", "--quick", "--chart", "/proc/memlean/x.png")).isEqualTo(2);
        assertThat(err.toString().strip()).startsWith("memlean: --chart /proc/memlean/x.png").doesNotContain("\n");
        err.reset();
        Path dir = Files.createTempDirectory("memlean-report");
        assertThat(Main.execute("tour", "--quick", "--report", dir.toString())).isEqualTo(2);
        assertThat(err.toString().strip()).contains("is a directory");
        assertThat((System.nanoTime() - start) / 1e9).as("refused before any work").isLessThan(5.0);
        assertThat(out.toString()).doesNotContain("memlean tour");
    }
}
