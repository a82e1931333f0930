package org.memlean.ch02;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.memlean.ch02.CheckpointingChapter.Policy;
import org.memlean.ch02.CheckpointingChapter.SweepRow;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Training;
import org.memlean.memory.Device;
import org.memlean.memory.DeviceBudget;
import org.memlean.memory.DeviceOutOfMemoryException;
import org.memlean.memory.LeakCheck;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTest {
    /** Every parameter's gradient by name after one backward, with the model's blocks checkpointed as asked. */
    private static Map<String, float[]> gradients(GptConfig config, Consumer<Gpt> checkpoint) {
        Rng.seed(11);
        try (Gpt model = new Gpt(config)) {
            checkpoint.accept(model);
            try (Scope s = Scope.open()) {
                Rng.seed(12);  // the same dropout masks in every run
                Batch b = new ReversalTask(4, 5).next(6);
                model.loss(b.inputs(), b.targets()).backward();
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            model.namedParameters().forEach((name, p) -> out.put(name, p.grad().toFloatArray()));
            return out;
        }
    }

    private static Map<String, float[]> gradients(GptConfig config, Policy policy) {
        return gradients(config, model -> CheckpointingChapter.apply(model, policy));
    }

    @Test
    void checkpointedModelsGiveBitIdenticalGradientsWithDropoutOffAndOn() {
        for (double dropout : new double[] {0.0, 0.2}) {
            GptConfig config = CheckpointingChapter.config(4).withDropout(dropout);
            Map<String, float[]> plain = gradients(config, Policy.NONE);
            for (Policy policy : List.of(Policy.EVERY_BLOCK, Policy.SQRT_SEGMENTS, Policy.ATTENTION_AND_MLP)) {
                Map<String, float[]> checkpointed = gradients(config, policy);
                assertThat(checkpointed.keySet()).hasSameSizeAs(plain.keySet());
                // the wrapped parts' parameters are renamed ("attn.module.qkv.weight"): compare in order
                List<float[]> a = new ArrayList<>(plain.values());
                List<float[]> c = new ArrayList<>(checkpointed.values());
                for (int i = 0; i < a.size(); i++) {
                    assertThat(c.get(i)).as("%s, dropout %s, parameter %d", policy, dropout, i).containsExactly(a.get(i));
                }
            }
        }
    }

    /** The framework's generator, except that putting a state back does nothing: a checkpoint that forgets to. */
    private static final Checkpoint.RandomState FORGETFUL = new Checkpoint.RandomState() {
        @Override
        public long read() {
            return Rng.state();
        }

        @Override
        public void restore(long state) {}
    };

    @Test
    void theDropoutEquivalenceNeedsTheRandomStateRestoredAndTheTestWouldCatchItsLoss() {
        GptConfig config = CheckpointingChapter.config(2).withDropout(0.3);
        String name = "blocks.0.mlp.fc.weight";
        float[] plain = gradients(config, Policy.NONE).get(name);
        float[] restored = gradients(config, m -> Checkpoint.segments(m, 1)).get(name);
        float[] forgotten = gradients(config, m -> Checkpoint.segments(m, 1, FORGETFUL)).get(name);
        assertThat(restored).as("through Checkpoint, random state restored").containsExactly(plain);
        assertThat(forgotten).as("through Checkpoint, random state not restored: other masks in the recomputation")
                .isNotEqualTo(plain);
    }

    /** Least-squares fit y = a·x + c; returns {a, c, r²}. */
    private static double[] fit(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i] / n;
            my += y[i] / n;
        }
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        double a = sxy / sxx;
        return new double[] {a, my - a * mx, sxy * sxy / (sxx * syy)};
    }

    @Test
    void plainActivationsGrowLinearlyInLAndSqrtSegmentsAsSqrtL() {
        int[] depths = {4, 9, 16, 25};
        List<SweepRow> rows = CheckpointingChapter.sweep(4, 4, depths, Policy.NONE, Policy.SQRT_SEGMENTS);
        double[] l = new double[depths.length];
        double[] sqrtL = new double[depths.length];
        double[] plain = new double[depths.length];
        double[] segments = new double[depths.length];
        for (SweepRow r : rows) {
            int i = Arrays.binarySearch(depths, r.layers());
            assertThat(r.activationBytes()).as("%s at L=%d: the formula", r.policy(), r.layers())
                    .isEqualTo(r.predictedActivationBytes());
            l[i] = r.layers();
            sqrtL[i] = Math.sqrt(r.layers());
            if (r.policy() == Policy.NONE) plain[i] = r.activationBytes();
            else segments[i] = r.activationBytes();
        }
        // measured equals the formula at every depth (above), and the formula is exactly linear in L for
        // plain training, so the fit is a straight line up to floating-point rounding of the fit itself
        double[] linear = fit(l, plain);
        assertThat(linear[2]).as("plain: r² of a straight line in L").isGreaterThan(1 - 1e-9);
        // the slope is the bytes one block saves: 4·(16·BTC + B·H·T² + 4·BT)
        Formula f = new Formula(CheckpointingChapter.config(1), 4, 8, 4);
        assertThat(linear[0]).isCloseTo(4.0 * f.block(), Offset.offset(1.0));
        // √L segments are not exactly linear in √L (⌈√L⌉ and the head term): compare the two fits
        double[] root = fit(sqrtL, segments);
        assertThat(fit(l, segments)[2]).as("√L segments fit √L better than L").isLessThan(root[2]);
    }

    @Test
    void underABudgetThePlainModelRunsOutOfMemoryAndTheCheckpointedOneTrains() {
        int layers = 9;
        long[] peaks = new long[2];
        Policy[] policies = {Policy.NONE, Policy.EVERY_BLOCK};
        for (int i = 0; i < 2; i++) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("probe"); Gpt model = new Gpt(CheckpointingChapter.config(layers))) {
                CheckpointingChapter.apply(model, policies[i]);
                AdamW adam = new AdamW(model.parameters(), 1e-3);
                Training.step(model, adam, new ReversalTask(4, 1), 32);
                peaks[i] = meter.peakBytes();
                adam.close();
            }
        }
        long budget = (peaks[0] + peaks[1]) / 2;
        assertThat(peaks[0]).as("activations must dominate for this test").isGreaterThan(peaks[1] + peaks[1] / 4);
        for (int i = 0; i < 2; i++) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("budget"); DeviceBudget gpu = DeviceBudget.of(budget);
                 Gpt model = new Gpt(CheckpointingChapter.config(layers))) {
                CheckpointingChapter.apply(model, policies[i]);
                AdamW adam = new AdamW(model.parameters(), 1e-3);
                if (i == 0) {
                    assertThatThrownBy(() -> Training.step(model, adam, new ReversalTask(4, 1), 32))
                            .isInstanceOf(DeviceOutOfMemoryException.class);
                } else {
                    double loss = 0;
                    for (int k = 0; k < 3; k++) loss = Training.step(model, adam, new ReversalTask(4, k), 32);
                    assertThat(loss).isFinite();
                }
                model.parameters().forEach(p -> p.zeroGrad(true));
                adam.close();
            }
        }
    }

    @Test
    void checkpointedStepsLeakNothing() {
        try (Gpt model = new Gpt(CheckpointingChapter.config(4))) {
            CheckpointingChapter.apply(model, Policy.SQRT_SEGMENTS);
            try (AdamW adam = new AdamW(model.parameters(), 1e-3)) {
                ReversalTask task = new ReversalTask(4, 2);
                LeakCheck.run(1, 10, i -> Training.step(model, adam, task, 4)).assertNoLeak("√L checkpointing");
            }
        }
    }

    @Test
    void badSegmentLengthsAreRefused() {
        try (Gpt model = new Gpt(CheckpointingChapter.config(4))) {
            assertThatThrownBy(() -> Checkpoint.segments(model, 0)).hasMessageContaining("segment length must be in 1..4");
            assertThatThrownBy(() -> Checkpoint.wrapParts(model)).hasMessageContaining("'attn' and 'mlp'");
        }
    }
}
