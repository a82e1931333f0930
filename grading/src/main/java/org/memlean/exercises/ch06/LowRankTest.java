package org.memlean.exercises.ch06;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.ch06.Lora;
import org.memlean.grading.Task;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import static org.assertj.core.api.Assertions.assertThat;

/** Graded: your forward and merge against each other and a plain product; your count against the framework's. */
class LowRankTest {
    private static double[][] random(SplittableRandom r, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) for (int j = 0; j < cols; j++) row[j] = r.nextGaussian();
        return m;
    }

    @Test
    @Tag("task06_1")
    @Task(id = "task06_1", points = 20, title = "LoRA's forward and its merged weight")
    void yourForwardIsTheLowRankUpdateAndTheMergedWeightGivesTheSameOutput() {
        SplittableRandom r = new SplittableRandom(6);
        double[][] x = random(r, 5, 8);
        double[][] w = random(r, 8, 6);
        double[][] a = random(r, 8, 2);
        double[][] b = random(r, 2, 6);
        double[][] zeros = new double[2][6];
        double[][] plain = LowRank.forward(x, w, a, zeros, 4);
        double[][] adapted = LowRank.forward(x, w, a, b, 4);
        double[][] merged = LowRank.merge(w, a, b, 4);
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 6; j++) {
                double xw = 0;
                double xm = 0;
                double xab = 0;
                for (int k = 0; k < 8; k++) {
                    xw += x[i][k] * w[k][j];
                    xm += x[i][k] * merged[k][j];
                    for (int q = 0; q < 2; q++) xab += x[i][k] * a[k][q] * b[q][j];
                }
                assertThat(plain[i][j]).as("B = 0 gives x·W").isCloseTo(xw, Offset.offset(1e-9));
                assertThat(adapted[i][j]).as("x·W + 4·x·A·B").isCloseTo(xw + 4 * xab, Offset.offset(1e-9));
                assertThat(xm).as("x·(merged W) = the adapted output").isCloseTo(adapted[i][j], Offset.offset(1e-9));
            }
        }
    }

    @Test
    @Tag("task06_2")
    @Task(id = "task06_2", points = 20, title = "the parameters LoRA trains")
    void yourCountIsTheFrameworksCount() {
        for (GptConfig config : List.of(GptConfig.defaults(), GptConfig.defaults().withLayers(3).withChannels(48).withHeads(4))) {
            for (Set<Lora.Target> targets : List.of(Lora.DEFAULT_TARGETS, EnumSet.of(Lora.Target.O, Lora.Target.UP),
                    EnumSet.allOf(Lora.Target.class))) {
                for (int rank : new int[] {2, 8}) {
                    try (Gpt model = new Gpt(config)) {
                        Lora.apply(model, targets, rank, rank);
                        Set<String> names = targets.stream().map(t -> t.name().toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
                        assertThat(LowRank.trainableParameters(config, names, rank)).as("%s, %s, r=%d", config, names, rank)
                                .isEqualTo(model.trainableParameterCount());
                    }
                }
            }
        }
    }
}
