package org.memlean.ch08;

import java.util.EnumMap;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.memlean.ch08.Bugs.Bug;
import org.memlean.ch08.NoBugsChapter.Measured;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Size;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import static org.assertj.core.api.Assertions.assertThat;

/** No-grad evaluation against its formula; each bug's growth against its own, and each fix flat to the byte. */
class NoBugsTest {
    private static final NoBugsChapter.Setup QUICK = NoBugsChapter.setup(Size.QUICK);
    private static final long B = QUICK.batch();
    private static final long T = 2L * QUICK.digits();
    private static final long N = QUICK.digits();
    private static final long V = ReversalTask.VOCAB;

    /** The peak of a no-grad forward, parameters included, in three regimes: the MLP, the attention, the head. */
    @Test
    void aNoGradForwardPeaksAtTheInferenceFormulaToTheByte() {
        record Case(GptConfig config, int b, int t) {}
        for (Case c : new Case[] {new Case(GptConfig.defaults(), 32, 16),                    // the MLP's moment
                new Case(GptConfig.defaults().withBlockSize(128), 4, 128),                     // the attention's
                new Case(GptConfig.defaults().withVocabSize(4096), 8, 16)}) {                  // the head's
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("inference", false); Gpt model = new Gpt(c.config())) {
                model.eval();
                try (Scope s = Scope.open(); GradMode.Guard g = GradMode.noGrad()) {
                    Tensor logits = model.forward(Tensor.ofInts(new int[c.b() * c.t()], c.b(), c.t()));
                    assertThat(logits.requiresGrad()).isFalse();
                }
                assertThat(meter.peakBytes()).as("%s, B=%d, T=%d", c.config(), c.b(), c.t())
                        .isEqualTo(c.config().inferencePeakBytes(c.b(), c.t()));
                assertThat(meter.maxByCategory().get(Category.ACTIVATION)).isZero();
            }
        }
    }

    /** With grad mode on, every op saves its inputs: the activations of training, for a backward that never comes. */
    @Test
    void evaluationWithGradSavesTheActivationsOfTrainingAndNoGradNone() {
        GptConfig config = NoBugsChapter.config();
        Rng.seed(1);
        try (Gpt model = new Gpt(config)) {
            var examples = new ReversalTask(QUICK.digits(), 3).nextExamples(QUICK.batch());
            Device.settle();
            long withGrad;
            long noGrad;
            Evaluation.Metrics onGrad;
            try (MemoryMeter meter = MemoryMeter.start("grad on", false)) {
                onGrad = Evaluation.batch(model, examples, true);
                withGrad = meter.maxByCategory().get(Category.ACTIVATION);
                assertThat(meter.liveBytes()).isZero();                        // the scope freed them after the batch
            }
            try (MemoryMeter meter = MemoryMeter.start("no-grad", false)) {
                Evaluation.Metrics m = Evaluation.batch(model, examples, false);
                noGrad = meter.maxByCategory().get(Category.ACTIVATION);
                assertThat(m).as("no-grad changes what is kept, not what is computed").isEqualTo(onGrad);
            }
            // what a training step saves by the end of its forward — the loss's log-probabilities included
            assertThat(withGrad).isEqualTo(config.savedActivationBytes(B, T, N));
            assertThat(noGrad).isZero();
        }
    }

    /** Bugs 1, 3 and 5 grow by exactly what their formulas say; bugs 2 and 6 by a batch's activations and more. */
    @Test
    void eachBugGrowsByWhatItKeepsAndEachFixIsFlatToTheByte() {
        GptConfig config = NoBugsChapter.config();
        Map<Bug, Measured> m = new EnumMap<>(Bug.class);
        for (Bug bug : Bug.values()) m.put(bug, NoBugsChapter.measure(bug, QUICK, 1, 6));
        for (Measured r : m.values()) r.withFix().assertNoLeak(r.bug().title() + ", fixed");
        // 1: the running sum kept as a tensor: one 4-byte scalar a step (the graph itself is on the heap)
        assertThat(m.get(Bug.LOSS_TENSOR).withBug().bytesPerStep()).isEqualTo(4.0);
        // 3: the whole logits of every step, 4·B·T·V bytes
        assertThat(m.get(Bug.KEPT_OUTPUTS).withBug().bytesPerStep()).isEqualTo(4.0 * B * T * V);
        assertThat(m.get(Bug.KEPT_OUTPUTS).withBug().neverReleased()).containsOnlyKeys("TEMPORARY 'matmul'");
        // 5: what nobody closes without a scope: the batch (ids and targets) and the loss
        assertThat(m.get(Bug.NO_SCOPE).withBug().bytesPerStep()).isEqualTo(4.0 * (B * T + B * N + 1));
        // 2: every batch's saved activations (a training forward's) stay with the kept outputs
        double perBatch = m.get(Bug.EVAL_WITH_GRAD).withBug().bytesPerStep();
        assertThat(perBatch).isGreaterThan(config.savedActivationBytes(B, T, N));
        assertThat(m.get(Bug.EVAL_WITH_GRAD).withBug().grewByCategory()).containsKey(Category.ACTIVATION);
        // 6: a skipped batch leaks what its forward had saved when the bad target threw: half the steps
        assertThat(m.get(Bug.SKIPPED_CLOSE).withBug().bytesPerStep()).isGreaterThan(0.4 * config.savedActivationBytes(B, T, N));
        // 4: the meter sees nothing at all
        assertThat(m.get(Bug.NO_ZERO_GRAD).withBug().leaks()).isFalse();
    }

    /**
     * Bug 4 is the one the meter cannot see: memory is flat, but the second step's gradient is the
     * sum of both steps' — a test of the gradient catches it.
     */
    @Test
    void withoutZeroGradTheSecondGradientIsTheSumOfBothAndOnlyAGradientTestSeesIt() {
        GptConfig config = NoBugsChapter.config();
        ReversalTask dataA = new ReversalTask(4, 5);
        ReversalTask dataB = new ReversalTask(4, 5);
        Rng.seed(9);
        Gpt buggy = new Gpt(config);
        Rng.seed(9);
        Gpt correct = new Gpt(config);
        try (buggy; correct; AdamW a = new AdamW(buggy.parameters(), 1e-3); AdamW b = new AdamW(correct.parameters(), 1e-3)) {
            Tensor pa = buggy.namedParameters().get("head.weight");
            Tensor pb = correct.namedParameters().get("head.weight");
            backward(buggy, dataA.next(8));
            a.step();                                           // no zeroGrad
            backward(correct, dataB.next(8));
            b.step();
            float[] g1 = pa.grad().toFloatArray();
            b.zeroGrad(true);
            backward(buggy, dataA.next(8));
            backward(correct, dataB.next(8));
            float[] g2 = pb.grad().toFloatArray();             // the same model and batch: the true second gradient
            float[] got = pa.grad().toFloatArray();
            for (int i = 0; i < got.length; i++) assertThat(got[i]).isCloseTo(g1[i] + g2[i], Offset.offset(1e-6f));
            a.zeroGrad(true);
            b.zeroGrad(true);
        }
    }

    private static void backward(Gpt model, Batch batch) {
        try (Scope s = Scope.open()) {
            model.loss(batch.inputs(), batch.targets()).backward();
        }
    }

    /** Accuracy is the share of positions whose largest logit is the target (here 1 of 2, then 2 of 2). */
    @Test
    void accuracyCountsThePositionsWhoseLargestLogitIsTheTarget() {
        try (Scope scope = Scope.open()) {
            Tensor logits = Tensor.of(new float[] {0.1f, 0.2f, 0.7f, 0.5f, 0.3f, 0.2f}, 1, 2, 3);   // argmax 2, then 0
            assertThat(Evaluation.accuracy(logits, Tensor.ofInts(new int[] {2, 1}, 1, 2))).isEqualTo(0.5);
            assertThat(Evaluation.accuracy(logits, Tensor.ofInts(new int[] {2, 0}, 1, 2))).isEqualTo(1.0);
        }
    }
}
