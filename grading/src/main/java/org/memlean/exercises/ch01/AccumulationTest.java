package org.memlean.exercises.ch01;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
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
    private static final GptConfig CONFIG = GptConfig.defaults();

    private static Map<String, float[]> gradientsOf(Gpt model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> out.put(k, p.grad() == null ? null : p.grad().toFloatArray()));
        return out;
    }

    @Test
    @Tag("task01_1")
    @Task(id = "task01_1", points = 20, title = "accumulate gradients over micro-batches")
    void accumulatedGradientsAndLossEqualTheBigBatchsWithOneMicroBatchAlive() {
        Rng.seed(3);
        Map<String, float[]> big;
        double bigLoss;
        try (Gpt model = new Gpt(CONFIG); Scope s = Scope.open()) {
            Batch all = new ReversalTask(4, 8).next(16);
            Tensor loss = model.loss(all.inputs(), all.targets());
            bigLoss = loss.item();
            loss.backward();
            big = gradientsOf(model);
        }
        Rng.seed(3);
        Device.settle();
        try (Gpt model = new Gpt(CONFIG); MemoryMeter meter = MemoryMeter.start("student"); Scope s = Scope.open()) {
            ReversalTask task = new ReversalTask(4, 8);
            List<Batch> micro = new ArrayList<>();
            for (int size : new int[] {7, 5, 4}) micro.add(task.next(size));   // unequal on purpose
            double loss = Accumulation.accumulate(model, micro);
            assertThat(loss).as("the mean loss over all tokens").isCloseTo(bigLoss, Offset.offset(1e-5));
            Map<String, float[]> got = gradientsOf(model);
            for (String name : big.keySet()) {
                assertThat(got.get(name)).as("gradient of %s", name).isNotNull();
                float[] x = big.get(name);
                float[] y = got.get(name);
                double scale = 1e-12;
                for (float v : x) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < x.length; i++) {
                    assertThat(Math.abs(x[i] - y[i]) / scale).as("%s[%d]", name, i).isLessThan(1e-5);
                }
            }
            long oneMicroBatch = Anatomy.predictEndOfForward(CONFIG, 7, 8, 4).get(Category.ACTIVATION);
            assertThat(meter.maxByCategory().get(Category.ACTIVATION))
                    .as("activations alive at once: only the largest micro-batch's").isEqualTo(oneMicroBatch);
        }
    }

    /** The measured peak of one AdamW step accumulated over n micro-batches (the reference procedure). */
    private static long peak(int batch, int digits, int n) {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("reference n=" + n, false); Scope all = Scope.open()) {
            try (Gpt model = new Gpt(CONFIG)) {
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
        int batch = 32;
        int digits = 8;
        long p1 = peak(batch, digits, 1);
        long p2 = peak(batch, digits, 2);
        long p4 = peak(batch, digits, 4);
        assertThat(p1).isGreaterThan(p2);
        assertThat(p2).isGreaterThan(p4);
        assertThat(Accumulation.smallestAccumulation(CONFIG, batch, digits, (p1 + p2) / 2)).isEqualTo(2);
        assertThat(Accumulation.smallestAccumulation(CONFIG, batch, digits, (p2 + p4) / 2)).isEqualTo(4);
        assertThat(Accumulation.smallestAccumulation(CONFIG, batch, digits, p1 + 4096)).isEqualTo(1);
        assertThat(Accumulation.smallestAccumulation(CONFIG, batch, digits, 64 * 1024)).isEqualTo(-1);
    }
}
