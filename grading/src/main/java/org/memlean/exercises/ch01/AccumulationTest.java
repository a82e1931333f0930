package org.memlean.exercises.ch01;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.grading.Answers;
import org.memlean.grading.Configs;
import org.memlean.grading.Seeds;
import org.memlean.grading.Task;
import org.memlean.lab.Anatomy;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import static org.assertj.core.api.Assertions.assertThat;

/** Graded: the accumulation loop against one big batch; the choice of n against a real budget. */
class AccumulationTest {

    private static Map<String, float[]> gradientsOf(Gpt model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> out.put(k, p.grad() == null ? null : p.grad().toFloatArray()));
        return out;
    }

    @Test
    @Tag("task01_1")
    @Task(id = "task01_1", points = 20, title = "accumulate gradients over micro-batches")
    void accumulatedGradientsAndLossEqualTheBigBatchsWithOneMicroBatchAlive() {
        SplittableRandom r = Seeds.forTest(getClass(), "accumulated");
        int digits = 3 + r.nextInt(4);
        GptConfig config = Configs.gpt(r, digits);
        int[] sizes = {3 + r.nextInt(6), 2 + r.nextInt(6), 1 + r.nextInt(6)};   // unequal on purpose
        int total = sizes[0] + sizes[1] + sizes[2];
        int largest = Math.max(sizes[0], Math.max(sizes[1], sizes[2]));
        String seed = Seeds.reproduce("01");
        Rng.seed(3);
        Map<String, float[]> big;
        double bigLoss;
        try (Gpt model = new Gpt(config); Scope s = Scope.open()) {
            Batch all = new ReversalTask(digits, 8).next(total);
            Tensor loss = model.loss(all.inputs(), all.targets());
            bigLoss = loss.item();
            loss.backward();
            big = gradientsOf(model);
        }
        Rng.seed(3);
        Device.settle();
        try (Gpt model = new Gpt(config); MemoryMeter meter = MemoryMeter.start("student"); Scope s = Scope.open()) {
            ReversalTask task = new ReversalTask(digits, 8);
            List<Batch> micro = new ArrayList<>();
            for (int size : sizes) micro.add(task.next(size));
            double loss = Accumulation.accumulate(model, micro);
            assertThat(loss).as("the mean loss over all tokens; micro-batches %s; %s", java.util.Arrays.toString(sizes), seed)
                    .isCloseTo(bigLoss, Offset.offset(1e-5));
            Map<String, float[]> got = gradientsOf(model);
            for (String name : big.keySet()) {
                assertThat(got.get(name)).as("gradient of %s; %s", name, seed).isNotNull();
                float[] x = big.get(name);
                float[] y = got.get(name);
                double scale = 1e-12;
                for (float v : x) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < x.length; i++) {
                    assertThat(Math.abs(x[i] - y[i]) / scale).as("%s[%d]; %s", name, i, seed).isLessThan(1e-5);
                }
            }
            long oneMicroBatch = Anatomy.predictEndOfForward(config, largest, 2L * digits, digits).get(Category.ACTIVATION);
            assertThat(meter.maxByCategory().get(Category.ACTIVATION))
                    .as("activations alive at once: only the largest micro-batch's").isEqualTo(oneMicroBatch);
        }
    }

    /** The measured peak of one AdamW step accumulated over n micro-batches (the reference procedure). */
    private static long peak(GptConfig config, int batch, int digits, int n) {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("reference n=" + n, false); Scope all = Scope.open()) {
            try (Gpt model = new Gpt(config)) {
                AdamW adam = new AdamW(model.parameters(), 1e-3);
                ReversalTask task = new ReversalTask(digits, 1);
                List<Batch> micro = new ArrayList<>();
                for (int i = 0; i < n; i++) micro.add(task.next(batch / n));
                for (Batch b : micro) {
                    try (Scope m = Scope.open()) {
                        model.loss(b.inputs(), b.targets()).mul(1.0 / n).backward();
                    }
                }
                adam.step();
                adam.close();
            }
            return meter.peakBytes();
        }
    }

    @Test
    @Tag("task01_2")
    @Task(id = "task01_2", points = 20, title = "choose n for a memory budget")
    void theChosenNFitsAndNoSmallerOneDoes() {
        SplittableRandom r = Seeds.forTest(getClass(), "budget");
        int digits = 4 + r.nextInt(5);
        GptConfig config = Configs.gpt(r, digits);
        int batch = 24;                                             // divisors 1, 2, 3, 4, 6, 8, 12, 24
        long p1 = peak(config, batch, digits, 1);
        long p2 = peak(config, batch, digits, 2);
        long p4 = peak(config, batch, digits, 4);
        String what = config + ", batch " + batch + ", " + digits + " digits; " + Seeds.reproduce("01");
        assertThat(p1).isGreaterThan(p2);
        assertThat(p2).isGreaterThan(p4);
        assertThat(Accumulation.smallestAccumulation(config, batch, digits, p1 + 4096)).as("%s", what).isEqualTo(1);
        long budget = p2 + (p1 - p2) / 2;
        assertThat(Accumulation.smallestAccumulation(config, batch, digits, budget)).as("budget %d, %s", budget, what)
                .isEqualTo(2);
        assertThat(Accumulation.smallestAccumulation(config, batch, digits, 64 * 1024)).as("%s", what).isEqualTo(-1);
    }

    @Test
    @Tag("task01_3")
    @Task(id = "task01_3", points = 5, title = "question: the floor accumulation cannot go below",
            explanation = "Accumulation divides the activations by n and leaves the model states whole: 16 × 6.74·10⁹ = "
                    + "107.8 GB. Past the n where activations are small beside that, more micro-batches only cost time.")
    void peakFloor() {
        Answers.near(Questions.peakFloorGigabytes(), 16.0 * 6_738_415_616L / 1e9, 0.01);
    }

    @Test
    @Tag("task01_4")
    @Task(id = "task01_4", points = 5, title = "question: the weight of an unequal micro-batch",
            explanation = "10 of the batch's 60 tokens: 1/6, not 1/2. Weighting each micro-batch's mean by its share of the "
                    + "tokens makes the sum the mean over all tokens; 1/n is right only for equal micro-batches.")
    void microBatchWeight() {
        Answers.near(Questions.firstMicroBatchWeight(), 1.0 / 6, 0.001);
    }
}
