package org.memlean.ch09;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memlean.ch09.InPlaceChapter.Setup;
import org.memlean.ch09.InPlaceChapter.Variant;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Experiment;
import org.memlean.lab.Size;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.LeakCheck;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.lab.Work;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.nn.Layer;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.InPlace;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;

/** The in-place model against the out-of-place one: the same gradients bit for bit, fewer buffers by formula. */
class InPlaceTest {
    private static final Setup QUICK = InPlaceChapter.setup(Size.QUICK);
    private static final GptConfig CONFIG = InPlaceChapter.config(QUICK);
    private static final long B = QUICK.batch();
    private static final long T = 2L * QUICK.digits();

    /** One forward and backward of a variant on a fixed batch (dropout masks from one seed); every gradient by name. */
    private static Map<String, float[]> gradients(Variant v) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (Gpt model = InPlaceChapter.model(v, QUICK); Scope s = Scope.open()) {
            Batch batch = new ReversalTask(QUICK.digits(), 1).next(QUICK.batch());
            Rng.seed(2);
            Tensor loss = model.loss(batch.inputs(), batch.targets());
            out.put("loss", new float[] {(float) loss.item()});
            loss.backward();
            model.namedParameters().forEach((name, p) -> out.put(name, p.grad().toFloatArray()));
        }
        return out;
    }

    @Test
    void theInPlaceModelsGradientsAreTheOutOfPlaceModelsBitForBit() {
        for (Variant[] pair : new Variant[][] {{Variant.OUT_OF_PLACE, Variant.IN_PLACE},
                {Variant.RELU_OUT_OF_PLACE, Variant.RELU_IN_PLACE}}) {
            Map<String, float[]> a = gradients(pair[0]);
            Map<String, float[]> b = gradients(pair[1]);
            assertThat(b.keySet()).isEqualTo(a.keySet());                  // the same parameters under the same names
            a.forEach((name, g) -> assertThat(b.get(name)).as("%s: %s", pair[1], name).containsExactly(g));
        }
    }

    /** What a step allocates, counted: in place, exactly the formula's buffers and bytes fewer. */
    @Test
    void inPlaceAllocatesExactlyTheFormulasBuffersAndBytesFewer() {
        Map<Variant, long[]> counts = new LinkedHashMap<>();
        for (Variant v : Variant.values()) {
            try (Experiment.Session s = InPlaceChapter.session(v, QUICK)) {
                s.step(0);
                try (Work w = Work.count()) {
                    s.step(1);
                    counts.put(v, new long[] {w.allocations(), w.allocatedBytes()});
                }
            }
        }
        for (boolean relu : new boolean[] {false, true}) {
            long[] out = counts.get(relu ? Variant.RELU_OUT_OF_PLACE : Variant.OUT_OF_PLACE);
            long[] in = counts.get(relu ? Variant.RELU_IN_PLACE : Variant.IN_PLACE);
            assertThat(out[0] - in[0]).isEqualTo((long) CONFIG.layers() * InPlaceChapter.buffersSavedPerBlock(CONFIG, relu));
            assertThat(out[1] - in[1]).isEqualTo(InPlaceChapter.bytesSavedPerStep(CONFIG, B, T, relu));
        }
        // AdamW out of place: one new buffer per parameter tensor, 4Ψ bytes in all, every step
        long[] base = counts.get(Variant.OUT_OF_PLACE);
        long[] opt = counts.get(Variant.OPTIMIZER_OUT_OF_PLACE);
        assertThat(opt[0] - base[0]).isEqualTo(CONFIG.parameterShapes().size());
        assertThat(opt[1] - base[1]).isEqualTo(4 * CONFIG.parameterCount());
    }

    /**
     * The activations saved are the same in and out of place (each op saves what it saved before; an
     * in-place activation saves its output, the same buffer), and equal the formula with dropout's
     * masks; the training peak does not move: it falls in backward, after forward's transients are gone.
     */
    @Test
    void activationsAndTheTrainingPeakAreTheSameInAndOutOfPlace() {
        Map<Variant, long[]> m = new LinkedHashMap<>();
        for (Variant v : Variant.values()) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start(v.name(), false); Experiment.Session s = InPlaceChapter.session(v, QUICK)) {
                s.step(0);
                s.step(1);
                m.put(v, new long[] {meter.maxByCategory().get(Category.ACTIVATION), meter.peakBytes()});
            }
        }
        long withDropout = CONFIG.savedActivationBytes(B, T, QUICK.digits()) + CONFIG.dropoutSavedBytes(B, T);
        assertThat(m.get(Variant.OUT_OF_PLACE)[0]).isEqualTo(withDropout);
        assertThat(m.get(Variant.IN_PLACE)[0]).isEqualTo(withDropout);
        // ReLU saves its output, which the next layer saves anyway; GELU saves its input too: one 4C buffer a block
        long relu = withDropout - CONFIG.layers() * 4 * B * T * 4 * CONFIG.channels();
        assertThat(m.get(Variant.RELU_OUT_OF_PLACE)[0]).isEqualTo(relu);
        assertThat(m.get(Variant.RELU_IN_PLACE)[0]).isEqualTo(relu);
        assertThat(m.get(Variant.IN_PLACE)[1]).isEqualTo(m.get(Variant.OUT_OF_PLACE)[1]);
        assertThat(m.get(Variant.RELU_IN_PLACE)[1]).isEqualTo(m.get(Variant.RELU_OUT_OF_PLACE)[1]);
    }

    /** Inference is where in place pays: the GELU's output buffer is no longer needed at the MLP's moment. */
    @Test
    void inInferenceTheInPlacePeakDropsByTheGelusOutput() {
        GptConfig config = GptConfig.defaults();
        long b = 32;
        long t = 16;
        long[] peaks = new long[2];
        for (int i = 0; i < 2; i++) {
            Rng.seed(5);
            try (Gpt model = new Gpt(config)) {
                if (i == 1) InPlaceModel.apply(model);
                model.eval();
                Device.settle();
                try (MemoryMeter meter = MemoryMeter.start("inference", false); Scope s = Scope.open();
                     GradMode.Guard g = GradMode.noGrad()) {
                    model.forward(Tensor.ofInts(new int[(int) (b * t)], b, t));
                    peaks[i] = meter.peakBytes();
                }
            }
        }
        long btc = 4 * b * t * config.channels();
        assertThat(peaks[0]).isEqualTo(config.inferenceInFlightBytes(b, t) + 4 * b * t);
        // in place, the MLP's moment is x, x1, its input, the first projection's output and GELU's scratch
        assertThat(peaks[1]).isEqualTo(11 * btc + 4 + 4 * b * t).isEqualTo(peaks[0] - 4 * btc);
    }

    /** The attention's dropout cannot work in place: softmax saved the probabilities it would overwrite. */
    @Test
    void dropoutInPlaceAfterSoftmaxBreaksBackwardNamingBothOps() {
        try (Gpt model = InPlaceChapter.model(Variant.OUT_OF_PLACE, QUICK); Scope s = Scope.open()) {
            Tensor scores = Tensor.of(new float[2 * 4 * 4], 2, 4, 4);
            Tensor w = model.namedParameters().get("head.weight");
            Tensor x = scores.add(w.sum()).softmax();                  // saved by Softmax
            InPlace.dropout(x, 0.5, true);                             // the mistake
            Tensor loss = x.sum();
            assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("of Softmax").hasMessageContaining("last modified by dropout_");
        }
    }

    @Test
    void noVariantLeaks() {
        for (Variant v : Variant.values()) {
            try (Experiment.Session s = InPlaceChapter.session(v, QUICK)) {
                LeakCheck.run(1, 4, s::step).assertNoLeak(InPlaceChapter.name(v));
            }
        }
    }

}
