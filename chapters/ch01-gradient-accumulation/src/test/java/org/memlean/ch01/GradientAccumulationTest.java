package org.memlean.ch01;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Training;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.DeviceBudget;
import org.memlean.memory.DeviceOutOfMemoryException;
import org.memlean.memory.LeakCheck;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.optim.Sgd;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GradientAccumulationTest {
    private static final GptConfig CONFIG = GptConfig.defaults(); // dropout 0: every pass is deterministic
    private static final int DIGITS = 4;

    /** Gradients of every parameter after one big batch of {@code sizes} summed, or accumulated over them. */
    private static Map<String, float[]> gradients(List<Integer> sizes, boolean accumulate, boolean tokenWeights) {
        Rng.seed(5);
        ReversalTask task = new ReversalTask(DIGITS, 9);
        try (Gpt model = new Gpt(CONFIG)) {
            if (!accumulate) {
                try (Scope s = Scope.open()) {
                    Batch big = task.next(sizes.stream().mapToInt(Integer::intValue).sum());
                    model.loss(big.inputs(), big.targets()).backward();
                }
            } else {
                try (Scope s = Scope.open()) {
                    List<Batch> window = new ArrayList<>();
                    for (int size : sizes) window.add(task.next(size)); // the same examples, in order
                    if (tokenWeights) {
                        GradientAccumulation.accumulate(model, window);
                    } else {
                        for (Batch b : window) model.loss(b.inputs(), b.targets()).mul(1.0 / sizes.size()).backward();
                    }
                }
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            model.namedParameters().forEach((name, p) -> out.put(name, p.grad().toFloatArray()));
            return out;
        }
    }

    private static double maxRelativeDifference(Map<String, float[]> a, Map<String, float[]> b) {
        double worst = 0;
        for (String name : a.keySet()) {
            float[] x = a.get(name);
            float[] y = b.get(name);
            double scale = 1e-12;
            for (float v : x) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
        }
        return worst;
    }

    @Test
    void fourMicroBatchesGiveTheBigBatchsGradients() {
        // float addition in another order: agreement to ~1e-6 of each tensor's largest gradient
        Map<String, float[]> big = gradients(List.of(32), false, true);
        Map<String, float[]> accumulated = gradients(List.of(8, 8, 8, 8), true, true);
        assertThat(maxRelativeDifference(big, accumulated)).isLessThan(1e-5);
    }

    @Test
    void unequalMicroBatchesNeedTokenWeightsNotOneOverN() {
        Map<String, float[]> big = gradients(List.of(16), false, true);
        Map<String, float[]> weighted = gradients(List.of(7, 5, 4), true, true);
        Map<String, float[]> plain = gradients(List.of(7, 5, 4), true, false);
        assertThat(maxRelativeDifference(big, weighted)).isLessThan(1e-5);
        // 1/3 instead of 7/16, 5/16 and 4/16: each micro-batch's share is off by up to 0.10, so some
        // gradient is off by far more than the 1e-5 of float rounding; 1e-2 leaves a 10× margin
        assertThat(maxRelativeDifference(big, plain)).as("1/n weights on unequal micro-batches").isGreaterThan(1e-2);
    }

    @Test
    void theSameParametersAfterTheStep() {
        float[][] after = new float[2][];
        for (int mode = 0; mode < 2; mode++) {
            Rng.seed(5);
            ReversalTask task = new ReversalTask(DIGITS, 9);
            try (Gpt model = new Gpt(CONFIG)) {
                AdamW adam = new AdamW(model.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0.0);
                if (mode == 0) Training.step(model, adam, task, 32);
                else GradientAccumulation.step(model, adam, () -> task.next(8), 4);
                after[mode] = model.namedParameters().get("blocks.0.mlp.fc.weight").toFloatArray();
                adam.close();
            }
        }
        // Adam's first step moves each weight by ~lr·sign(g): the two runs agree to float rounding
        for (int i = 0; i < after[0].length; i++) {
            assertThat(after[1][i]).isCloseTo(after[0][i], Offset.offset(2e-6f));
        }
    }

    @Test
    void theLastShortWindowIsSteppedAndWeightedOverItsOwnTokens() {
        List<Double> losses;
        double meanOfLastTwo;
        Rng.seed(6);
        ReversalTask data = new ReversalTask(DIGITS, 3);
        try (Gpt model = new Gpt(CONFIG); Scope s = Scope.open()) {
            List<Batch> batches = new ArrayList<>();
            for (int i = 0; i < 10; i++) batches.add(data.next(4));
            Sgd sgd = new Sgd(model.parameters(), 0.1, 0, 0);
            losses = GradientAccumulation.epoch(model, sgd, batches, 4);
            assertThat(losses).hasSize(3);                          // windows of 4, 4 and 2
            assertThat(sgd.steps()).isEqualTo(3);
        }
        // the oracle: the same model after the first two windows, evaluated on the last two batches
        Rng.seed(6);
        data = new ReversalTask(DIGITS, 3);
        try (Gpt model = new Gpt(CONFIG); Scope s = Scope.open()) {
            List<Batch> batches = new ArrayList<>();
            for (int i = 0; i < 10; i++) batches.add(data.next(4));
            Sgd sgd = new Sgd(model.parameters(), 0.1, 0, 0);
            GradientAccumulation.epoch(model, sgd, batches.subList(0, 8), 4);
            try (GradMode.Guard g = GradMode.noGrad()) {
                meanOfLastTwo = (model.loss(batches.get(8).inputs(), batches.get(8).targets()).item()
                        + model.loss(batches.get(9).inputs(), batches.get(9).targets()).item()) / 2;
            }
        }
        // the mean over its own two micro-batches — not divided by n = 4, which would halve it
        assertThat(losses.get(2)).isCloseTo(meanOfLastTwo, Offset.offset(1e-6));
    }

    @Test
    void activationsFallByNWhileParametersGradientsAndStateStay() {
        int batch = 32;
        long t = 2L * DIGITS;
        Map<Integer, Map<Category, Long>> max = new LinkedHashMap<>();
        Map<Integer, Long> peak = new LinkedHashMap<>();
        for (int n : new int[] {1, 2, 4, 8}) {
            Rng.seed(5);
            ReversalTask task = new ReversalTask(DIGITS, 9);
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("n=" + n); Gpt model = new Gpt(CONFIG)) {
                AdamW adam = new AdamW(model.parameters(), 1e-3);
                GradientAccumulation.step(model, adam, () -> task.next(batch / n), n);
                max.put(n, meter.maxByCategory());
                peak.put(n, meter.peakBytes());
                adam.close();
                // the formula: activations are linear in the micro-batch size
                assertThat(meter.maxByCategory().get(Category.ACTIVATION)).as("n=%d", n)
                        .isEqualTo(GradientAccumulationChapter.activationBytes(CONFIG, batch / n, t, DIGITS));
            }
        }
        long p = CONFIG.parameterCount();
        for (int n : max.keySet()) {
            assertThat(max.get(n).get(Category.PARAMETER)).isEqualTo(4 * p);
            assertThat(max.get(n).get(Category.GRADIENT)).isEqualTo(4 * p);
            assertThat(max.get(n).get(Category.OPTIMIZER_STATE)).isEqualTo(8 * p);
        }
        assertThat(max.get(1).get(Category.ACTIVATION)).isEqualTo(8 * max.get(8).get(Category.ACTIVATION));
        assertThat(peak.get(1)).isGreaterThan(peak.get(2));
        assertThat(peak.get(2)).isGreaterThan(peak.get(4));
        // a finding: from n = 4 on the peak is set by what accumulation cannot touch — parameters, a
        // full set of gradients and AdamW's two moments (16 bytes a parameter) plus small transients
        assertThat(peak.get(8)).isEqualTo(peak.get(4)).isGreaterThanOrEqualTo(16 * p)
                .isLessThan(16 * p + max.get(4).get(Category.ACTIVATION));
    }

    @Test
    void underABudgetTheBigBatchRunsOutOfMemoryAndAccumulationTrains() {
        int batch = 32;
        long[] peaks = new long[2];
        for (int mode = 0; mode < 2; mode++) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("probe"); Gpt model = new Gpt(CONFIG)) {
                ReversalTask task = new ReversalTask(DIGITS, 9);
                AdamW adam = new AdamW(model.parameters(), 1e-3);
                if (mode == 0) Training.step(model, adam, task, batch);
                else GradientAccumulation.step(model, adam, () -> task.next(batch / 4), 4);
                peaks[mode] = meter.peakBytes();
                adam.close();
            }
        }
        long budget = (peaks[0] + peaks[1]) / 2;
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("budget"); Gpt model = new Gpt(CONFIG);
             DeviceBudget gpu = DeviceBudget.of(budget)) {
            ReversalTask task = new ReversalTask(DIGITS, 9);
            AdamW adam = new AdamW(model.parameters(), 1e-3);
            assertThatThrownBy(() -> Training.step(model, adam, task, batch))
                    .isInstanceOf(DeviceOutOfMemoryException.class).hasMessageContaining("Device budget");
            model.parameters().forEach(p -> p.zeroGrad(true));   // what the failed step left
            double loss = 0;
            for (int i = 0; i < 3; i++) loss = GradientAccumulation.step(model, adam, () -> task.next(batch / 4), 4);
            assertThat(loss).isFinite();
            assertThat(meter.peakBytes()).isLessThanOrEqualTo(budget);
            adam.close();
        }
    }

    @Test
    void accumulationStepsLeakNothing() {
        try (Gpt model = new Gpt(CONFIG); AdamW adam = new AdamW(model.parameters(), 1e-3)) {
            ReversalTask task = new ReversalTask(DIGITS, 9);
            LeakCheck.run(1, 10, i -> GradientAccumulation.step(model, adam, () -> task.next(4), 4))
                    .assertNoLeak("accumulation over 4 micro-batches");
        }
    }

    @Test
    void unequalMicroBatchesInTheLazyLoopAreAClearError() {
        ReversalTask task = new ReversalTask(DIGITS, 9);
        int[] sizes = {4, 3};
        int[] call = {0};
        try (Gpt model = new Gpt(CONFIG)) {
            AdamW adam = new AdamW(model.parameters(), 1e-3);
            assertThatThrownBy(() -> GradientAccumulation.step(model, adam, () -> task.next(sizes[call[0]++]), 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("micro-batch 1 has 12 target tokens");
        }
    }
}
