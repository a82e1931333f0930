package org.memlean.exercises.ch05;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.ch05.OptimizersChapter.Kind;
import org.memlean.ch05.OptimizersChapter;
import org.memlean.grading.Task;
import org.memlean.lab.Experiment;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.GptConfig;
import static org.assertj.core.api.Assertions.assertThat;

/** Graded: your estimate against Adafactor's own state and the rank-one identity; your bytes against the meter. */
class LeanStateTest {
    @Test
    @Tag("task05_1")
    @Task(id = "task05_1", points = 20, title = "Adafactor's factored second moment")
    void yourEstimateIsExactOnRankOneAndAgreesWithTheOptimizersOwnFactors() {
        SplittableRandom random = new SplittableRandom(5);
        double[] a = new double[5];
        double[] b = new double[7];
        for (int i = 0; i < a.length; i++) a[i] = 0.1 + random.nextDouble();
        for (int j = 0; j < b.length; j++) b[j] = 0.1 + random.nextDouble();
        double[][] rankOne = new double[5][7];
        for (int i = 0; i < 5; i++) for (int j = 0; j < 7; j++) rankOne[i][j] = a[i] * b[j];
        double[][] v = LeanState.factoredSecondMoment(rankOne);
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 7; j++) {
                assertThat(v[i][j]).as("rank one: V̂[%d][%d]", i, j)
                        .isCloseTo(rankOne[i][j], Offset.offset(1e-12 * rankOne[i][j]));
            }
        }
        // any matrix: every row of V̂ sums to R, every column to C (as the optimizer's state keeps them)
        double[][] g = new double[4][6];
        for (double[] row : g) for (int j = 0; j < row.length; j++) row[j] = random.nextDouble();
        double[][] w = LeanState.factoredSecondMoment(g);
        for (int i = 0; i < 4; i++) {
            double want = 0;
            double got = 0;
            for (int j = 0; j < 6; j++) {
                want += g[i][j];
                got += w[i][j];
            }
            assertThat(got).as("row %d", i).isCloseTo(want, Offset.offset(1e-12));
        }
        for (int j = 0; j < 6; j++) {
            double want = 0;
            double got = 0;
            for (int i = 0; i < 4; i++) {
                want += g[i][j];
                got += w[i][j];
            }
            assertThat(got).as("column %d", j).isCloseTo(want, Offset.offset(1e-12));
        }
    }

    @Test
    @Tag("task05_2")
    @Task(id = "task05_2", points = 20, title = "the state each optimizer keeps, in bytes")
    void yourBytesAreWhatTheMeterMeasures() {
        GptConfig config = GptConfig.defaults();
        Map<String, Kind> kinds = Map.of("adamw", Kind.ADAMW, "lion", Kind.LION, "adafactor", Kind.ADAFACTOR,
                "adamw8bit", Kind.ADAMW_8BIT);
        for (String name : List.of("adamw", "lion", "adafactor", "adamw8bit")) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start(name, false);
                 Experiment.Session s = OptimizersChapter.session(kinds.get(name), new OptimizersChapter.Setup(4, 3, 1))) {
                s.step(0);
                assertThat(LeanState.stateBytes(name, config)).as(name).isEqualTo(meter.liveBytes(Category.OPTIMIZER_STATE));
            }
        }
    }
}
