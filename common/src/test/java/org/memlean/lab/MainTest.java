package org.memlean.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
    void runJsonIsOneObjectOfTheAgreedShape() {
        assertThat(Main.execute("run", "ch99", "--quick", "--json")).isZero();
        String json = out.toString().strip();
        assertThat(json).doesNotContain("\n").startsWith("{\"chapter\":99,\"title\":\"Test chapter（测试）\",");
        assertThat(json).contains("\"baseline\":{\"peakBytes\":").contains("\"technique\":{\"peakBytes\":")
                .contains("\"peakByCategory\":{\"PARAMETER\":").contains("\"stepMillis\":")
                .contains("\"finalLoss\":").contains("\"predicted\":{");
    }

    @Test
    void theTourRunsEveryChapterPrintsTheTableAndWritesAnOfflineReport(@org.junit.jupiter.api.io.TempDir
                                                                       java.nio.file.Path dir) throws Exception {
        java.nio.file.Path report = dir.resolve("r/index.html");
        assertThat(Main.execute("tour", "--quick", "--report", report.toString())).isZero();
        assertThat(out.toString()).contains("ch99").contains("SGD instead of AdamW").contains("%");
        assertThat(err.toString()).contains("[1/1] ch99");
        String html = java.nio.file.Files.readString(report);
        assertThat(html).contains("<img alt=\"Test chapter（测试）\" src=\"data:image/png;base64,")
                .doesNotContain("http://").doesNotContain("https://");
    }

    @Test
    void aFailingChapterIsReportedAndTheTourGoesOnWithExitCodeOne(@org.junit.jupiter.api.io.TempDir
                                                                  java.nio.file.Path dir) {
        Chapter broken = new Chapter() {
            public int number() { return 98; }
            public String title() { return "broken"; }
            public String technique() { return "a technique that throws"; }
            public Report run(Size size) { throw new IllegalStateException("deliberately broken"); }
        };
        Chapters.override(java.util.List.of(broken, new FakeChapter()));
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
        Chapters.override(java.util.List.of());
        try {
            assertThat(Main.execute("tour", "--quick")).isZero();
            assertThat(out.toString()).contains("No chapters are installed yet");
        } finally {
            Chapters.override(null);
        }
    }

    @Test
    void anatomyJsonIsOneObjectWithMeasuredAndPredicted() {
        assertThat(Main.execute("anatomy", "--json", "--batch", "4", "--digits", "3")).isZero();
        String json = out.toString().strip();
        assertThat(json).startsWith("{\"measured\":").endsWith("}").doesNotContain("\n");
        assertThat(json).contains("\"peakBytes\":").contains("\"predicted\":{\"peakByCategory\":{")
                .contains("\"ACTIVATION\":");
    }
}
