package org.memlean.exercises.ch08;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.grading.Answers;
import org.memlean.grading.Configs;
import org.memlean.grading.Seeds;
import org.memlean.grading.Task;
import org.memlean.lab.Training;
import org.memlean.memory.Scope;
import org.memlean.tensor.GradMode;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.LeakCheck;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;
import static org.assertj.core.api.Assertions.assertThat;

/** Graded by the leak detector and the meter, and by whether the loops still do their job. */
class LoopsTest {
    private static final GptConfig CONFIG = GptConfig.defaults();

    @Test
    @Tag("task08_1")
    @Task(id = "task08_1", points = 20, title = "a training loop that leaks nothing and still trains")
    void yourTrainingLoopGrowsByZeroBytesAndTheLossFalls() {
        Rng.seed(3);
        try (Gpt model = new Gpt(CONFIG.withLayers(1 + Seeds.forTest(getClass(), "train").nextInt(2))); AdamW adam = new AdamW(model.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0)) {
            ReversalTask task = new ReversalTask(4, 7);
            LeakCheck.run(1, 5, i -> Loops.train(model, adam, task, 16, 1)).assertNoLeak("your training loop");
            double[] curve = Loops.train(model, adam, task, 16, 40);
            assertThat(curve).hasSize(40);
            assertThat(curve[39]).as("the loss after 45 steps").isLessThan(curve[0] - 0.3);
        }
    }

    @Test
    @Tag("task08_2")
    @Task(id = "task08_2", points = 20, title = "a loop that scores as it trains, and leaks nothing")
    void yourScoringLoopGrowsByZeroBytesAndScoresAsTheReferenceDoes() {
        SplittableRandom r = Seeds.forTest(getClass(), "scoring");
        int digits = 3 + r.nextInt(4);
        GptConfig config = Configs.gpt(r, digits);
        int batch = 4 + r.nextInt(12);
        String what = config + ", B=" + batch + "; " + Seeds.reproduce("08");
        Rng.seed(5);
        double reference;
        try (Gpt model = new Gpt(config); AdamW adam = new AdamW(model.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0)) {
            ReversalTask task = new ReversalTask(digits, 9);
            long right = 0;
            long total = 0;
            for (int i = 0; i < 6; i++) {
                try (Scope step = Scope.open()) {
                    var b = task.next(batch);
                    try (GradMode.Guard off = GradMode.noGrad()) {
                        right += correct(model.forward(b.inputs()), b.targets());
                    }
                    total += b.targets().length();
                    Training.step(model, adam, b);
                }
            }
            reference = (double) right / total;
        }
        Rng.seed(5);
        try (Gpt model = new Gpt(config); AdamW adam = new AdamW(model.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0)) {
            ReversalTask task = new ReversalTask(digits, 9);
            assertThat(Loops.trainWithAccuracy(model, adam, task, batch, 6)).as("the accuracy, %s", what)
                    .isCloseTo(reference, Offset.offset(1e-9));
            LeakCheck.run(1, 5, i -> Loops.trainWithAccuracy(model, adam, task, batch, 1)).assertNoLeak("your scoring loop, " + what);
        }
    }

    /** Target tokens whose largest logit is the target, over the last N positions of (B, T, V) logits. */
    private static long correct(org.memlean.tensor.Tensor logits, org.memlean.tensor.Tensor targets) {
        long t = logits.size(1);
        long n = targets.size(1);
        int v = (int) logits.size(2);
        float[] l = logits.toFloatArray();
        float[] want = targets.toFloatArray();
        long right = 0;
        for (int row = 0; row < want.length; row++) {
            int base = (int) (((row / n) * t + t - n + row % n) * v);
            int best = 0;
            for (int k = 1; k < v; k++) if (l[base + k] > l[base + best]) best = k;
            if (best == (int) want[row]) right++;
        }
        return right;
    }

    @Test
    @Tag("task08_3")
    @Task(id = "task08_3", points = 5, title = "question: what kept logits leak at real scale",
            explanation = "B·T·V float32 values: 4096 × 128,256 × 4 bytes = 1.96 GiB a step — an 80 GB GPU is full within "
                    + "40 steps. Keep the numbers a metric needs (a count, a float), never the tensors.")
    void keptLogits() {
        Answers.near(Questions.keptLogitsGibibytesPerStep(), 4096.0 * 128_256 * 4 / (1L << 30), 0.01);
    }

    @Test
    @Tag("task08_4")
    @Task(id = "task08_4", points = 5, title = "question: what no-grad saves",
            explanation = "Nothing: no op records itself, so no op saves an input for a backward that will not come. The "
                    + "pass holds only what is in flight; eval() alone (dropout off) saves everything training does.")
    void noGrad() {
        double answer = Questions.shareSavedUnderNoGrad();
        if (Math.abs(answer) > 0.01) throw new AssertionError(answer + " is not it");
    }
}
