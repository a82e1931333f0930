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
    void theTourWithNoChaptersSaysSoAndExitsZero() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Chapters.all().isEmpty(), "chapters are installed");
        assertThat(Main.execute("tour", "--quick")).isZero();
        assertThat(out.toString()).contains("No chapters are installed yet");
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
