package org.memlean.exercises.ch04;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.ch04.Bf16Chapter.Mode;
import org.memlean.ch04.Bf16Chapter;
import org.memlean.grading.Task;
import org.memlean.lab.Experiment;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.GptConfig;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;

/** Graded: your rounding by its properties; your byte count against the meter. */
class RoundingTest {
    @Test
    @Tag("task04_1")
    @Task(id = "task04_1", points = 20, title = "stochastic rounding to bf16")
    void yourRoundingIsExactOnBf16ValuesUnbiasedAndAlwaysGivesABf16() {
        SplittableRandom random = new SplittableRandom(4);
        float[] exact = {1f, -1f, 1.0078125f, 3.5f, -0.015625f, 0f, 65536f};
        float[] copy = exact.clone();
        Rounding.stochasticRound(copy, random);
        assertThat(copy).as("values that are bf16 already").containsExactly(exact);
        for (double value : new double[] {1 + 0.3 / 128, -(2 + 1.4 / 64), 0.0003}) {
            int n = 100_000;
            float[] many = new float[n];
            Arrays.fill(many, (float) value);
            Rounding.stochasticRound(many, random);
            double sum = 0;
            for (float f : many) {
                sum += f;
                assertThat(Bf16Chapter.roundTrip(f, DataType.BFLOAT16)).as("a bf16").isEqualTo((double) f);
            }
            double spacing = Math.ulp((float) value) * 65536.0;
            assertThat(sum / n).as("mean of %d roundings of %s", n, value)
                    .isCloseTo(value, Offset.offset(5 * spacing / (2 * Math.sqrt(n))));
            assertThat(Arrays.stream(box(many)).distinct().count()).as("both neighbours occur").isEqualTo(2);
        }
    }

    private static Float[] box(float[] a) {
        Float[] out = new Float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }

    @Test
    @Tag("task04_2")
    @Task(id = "task04_2", points = 20, title = "the bytes pure bf16 keeps, with and without Kahan")
    void yourBytesAreWhatTheMeterMeasures() {
        for (Mode mode : new Mode[] {Mode.PURE_BF16, Mode.PURE_BF16_KAHAN}) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start(mode.name(), false);
                 Experiment.Session s = Bf16Chapter.session(mode, new Bf16Chapter.Setup(4, 3, 2), 1e-3)) {
                s.step(0);
                s.step(1);
                Map<Category, Long> max = meter.maxByCategory();
                long kept = max.get(Category.PARAMETER) + max.get(Category.GRADIENT) + max.get(Category.OPTIMIZER_STATE);
                assertThat(Rounding.keptBytes(GptConfig.defaults(), mode == Mode.PURE_BF16_KAHAN)).as("%s", mode)
                        .isEqualTo(kept);
            }
        }
    }
}
