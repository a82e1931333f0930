package org.memlean.exercises.ch04;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.ch04.Bf16Chapter;
import org.memlean.grading.Answers;
import org.memlean.grading.Seeds;
import org.memlean.grading.Task;
import org.nd4j.linalg.api.buffer.DataType;

/** Graded: your rounding by its properties; your Kahan update against the exact sum and plain rounding's losses. */
class RoundingTest {
    private static boolean isBf16(float f) {
        return Bf16Chapter.roundTrip(f, DataType.BFLOAT16) == (double) f;
    }

    @Test
    @Tag("task04_1")
    @Task(id = "task04_1", points = 20, title = "stochastic rounding to bf16")
    void yourRoundingIsExactOnBf16ValuesUnbiasedAndAlwaysGivesABf16() {
        SplittableRandom r = Seeds.forTest(getClass(), "stochastic");
        float[] exact = new float[64];
        for (int i = 0; i < exact.length; i++) exact[i] = Rounding.nearestBf16((float) ((r.nextDouble() - 0.5) * Math.scalb(1.0, r.nextInt(20) - 10)));
        float[] copy = exact.clone();
        Rounding.stochasticRound(copy, new SplittableRandom(r.nextLong()));
        assertThat(copy).as("values that are bf16 already; %s", Seeds.reproduce("04")).containsExactly(exact);
        for (int k = 0; k < 3; k++) {
            double value = (1 + r.nextDouble()) * Math.scalb(1.0, r.nextInt(16) - 8) * (r.nextBoolean() ? 1 : -1);
            int n = 100_000;
            float[] many = new float[n];
            Arrays.fill(many, (float) value);
            Rounding.stochasticRound(many, new SplittableRandom(r.nextLong()));
            double sum = 0;
            for (float f : many) {
                sum += f;
                assertThat(isBf16(f)).as("%s is a bf16", f).isTrue();
            }
            double spacing = Math.ulp((float) value) * 65536.0;
            assertThat(sum / n).as("mean of %d roundings of %s; %s", n, value, Seeds.reproduce("04"))
                    .isCloseTo(value, Offset.offset(5 * spacing / (2 * Math.sqrt(n)) + Math.ulp((float) value)));
        }
    }

    @Test
    @Tag("task04_2")
    @Task(id = "task04_2", points = 20, title = "Kahan-compensated bf16 updates")
    void yourKahanUpdatesAddUpWherePlainRoundingLosesThem() {
        SplittableRandom r = Seeds.forTest(getClass(), "kahan");
        int n = 512;
        int steps = 300 + r.nextInt(200);
        float[] weights = new float[n];
        float[] compensation = new float[n];
        float[] plain = new float[n];
        double[] exact = new double[n];
        double[] typical = new double[n];
        for (int i = 0; i < n; i++) {
            weights[i] = Rounding.nearestBf16((float) ((0.5 + 1.5 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1)));
            plain[i] = weights[i];
            exact[i] = weights[i];
            typical[i] = Math.ulp(weights[i]) * 65536.0 * (0.02 + 0.3 * r.nextDouble());   // most alone round away
        }
        long lostByPlain = 0;
        for (int s = 0; s < steps; s++) {
            float[] delta = new float[n];
            for (int i = 0; i < n; i++) delta[i] = (float) (typical[i] * (r.nextDouble() < 0.8 ? 1 : -0.5));
            for (int i = 0; i < n; i++) {
                exact[i] += delta[i];
                float next = Rounding.nearestBf16(plain[i] + delta[i]);
                if (next == plain[i] && delta[i] != 0) lostByPlain++;
                plain[i] = next;
            }
            Rounding.kahanAdd(weights, compensation, delta);
        }
        String what = n + " weights, " + steps + " updates; " + Seeds.reproduce("04");
        assertThat(lostByPlain).as("updates plain rounding lost (the grader's count), " + what).isGreaterThan(n * steps / 2);
        for (int i = 0; i < n; i++) {
            assertThat(isBf16(weights[i])).as("weight %d is a bf16, %s", i, what).isTrue();
            assertThat(isBf16(compensation[i])).as("compensation %d is a bf16, %s", i, what).isTrue();
            double spacing = Math.ulp((float) exact[i]) * 65536.0;
            assertThat(Math.abs(weights[i] - exact[i])).as("weight %d against the exact sum, %s", i, what)
                    .isLessThanOrEqualTo(spacing);
        }
    }

    @Test
    @Tag("task04_3")
    @Task(id = "task04_3", points = 5, title = "question: the largest update bf16 loses at 1.0",
            explanation = "bf16 keeps 8 significant bits: above 1.0 its spacing is 2⁻⁷, so any update up to half of it, "
                    + "2⁻⁸ ≈ 0.0039 (the tie rounds to even: 1.0), vanishes. Adam's late updates, lr·m̂/√v̂ ≈ lr, are far "
                    + "smaller: why pure bf16 stalls, and why Kahan or stochastic rounding fix it.")
    void lostUpdate() {
        Answers.near(Questions.largestLostUpdate(), Math.scalb(1.0, -8), 0.001);
    }

    @Test
    @Tag("task04_4")
    @Task(id = "task04_4", points = 5, title = "question: a 13B model's states in pure bf16 with Kahan",
            explanation = "Weight, gradient, two moments and the compensation, each 2 bytes: 10 bytes a parameter, 130 GB "
                    + "for 13B — against 16 bytes (208 GB) with float32 masters and moments.")
    void bf16States() {
        Answers.near(Questions.modelStatesGigabytes(), 10.0 * 13_015_864_320L / 1e9, 0.01);
    }
}
