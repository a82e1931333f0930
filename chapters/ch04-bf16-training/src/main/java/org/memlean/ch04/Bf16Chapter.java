package org.memlean.ch04;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Chapter;
import org.memlean.lab.Experiment;
import org.memlean.lab.Report;
import org.memlean.lab.Size;
import org.memlean.lab.Training;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Autocast;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Chapter 4's experiment: float32, autocast to bf16, pure bf16, and pure bf16 with either fix. */
public final class Bf16Chapter implements Chapter {
    /** The five ways to train, in the order of the arms. */
    public enum Mode { FLOAT32, AUTOCAST_BF16, PURE_BF16, PURE_BF16_KAHAN, PURE_BF16_STOCHASTIC }

    /** Sizes of the experiment. */
    public record Setup(int batch, int digits, int steps) {}

    public static Setup setup(Size size) {
        return size == Size.QUICK ? new Setup(8, 4, 3) : new Setup(32, 8, 6);
    }

    /** The chapter's learning rate (AdamW, betas 0.9 and 0.999, no weight decay). */
    public static final double LR = 3e-3;

    @Override
    public int number() {
        return 4;
    }

    @Override
    public String title() {
        return "BF16 Training（低精度训练）";
    }

    @Override
    public String technique() {
        return "pure bf16 (weights, gradients, state, activations)";
    }

    @Override
    public Report run(Size size) {
        Setup s = setup(size);
        List<Experiment.Arm> arms = new ArrayList<>();
        for (Mode mode : Mode.values()) arms.add(Experiment.arm(name(mode), () -> session(mode, s, LR)));
        GptConfig c = GptConfig.defaults();
        long p = c.parameterCount();
        long t = 2L * s.digits();
        Map<String, Long> predicted = new LinkedHashMap<>();
        predicted.put("activations, float32", c.savedActivationBytes(s.batch(), t, s.digits()));
        predicted.put("activations, autocast to bf16", c.autocastSavedActivationBytes(s.batch(), t, s.digits()));
        predicted.put("activations, pure bf16", c.withDataType(DataType.BFLOAT16).savedActivationBytes(s.batch(), t, s.digits()));
        predicted.put("weights + gradients + AdamW, float32", 16 * p);
        predicted.put("weights + gradients + AdamW, pure bf16", 8 * p);
        predicted.put("… + Kahan's compensation", 10 * p);
        return Experiment.report(this, size, arms, s.steps(), Mode.PURE_BF16.ordinal(), predicted);
    }

    public static String name(Mode mode) {
        return switch (mode) {
            case FLOAT32 -> "float32";
            case AUTOCAST_BF16 -> "autocast bf16";
            case PURE_BF16 -> "pure bf16";
            case PURE_BF16_KAHAN -> "pure bf16 + Kahan";
            case PURE_BF16_STOCHASTIC -> "pure bf16 + stochastic rounding";
        };
    }

    /** The model's storage dtype in a mode. */
    public static DataType storage(Mode mode) {
        return mode == Mode.FLOAT32 || mode == Mode.AUTOCAST_BF16 ? DataType.FLOAT : DataType.BFLOAT16;
    }

    /** The optimizer of a mode: the course's AdamW for float32 weights, bf16 AdamW with its rounding otherwise. */
    public static Optimizer optimizer(Mode mode, List<Tensor> parameters, double lr) {
        return switch (mode) {
            case FLOAT32, AUTOCAST_BF16 -> new AdamW(parameters, lr, 0.9, 0.999, 1e-8, 0.0);
            case PURE_BF16 -> new Bf16.RoundingAdamW(parameters, lr, Bf16.Rounding.NEAREST);
            case PURE_BF16_KAHAN -> new Bf16.RoundingAdamW(parameters, lr, Bf16.Rounding.KAHAN);
            case PURE_BF16_STOCHASTIC -> new Bf16.RoundingAdamW(parameters, lr, Bf16.Rounding.STOCHASTIC);
        };
    }

    /** A model, its optimizer and its data in one mode, on the same data from the same initial weights. */
    public static Experiment.Session session(Mode mode, Setup s, double lr) {
        Rng.seed(41);
        ReversalTask task = new ReversalTask(s.digits(), 43);
        Gpt model = new Gpt(GptConfig.defaults().withDataType(storage(mode)));
        Optimizer optimizer = optimizer(mode, model.parameters(), lr);
        return Experiment.Session.of(i -> mode == Mode.AUTOCAST_BF16 ? autocastStep(model, optimizer, task, s.batch())
                : Training.step(model, optimizer, task, s.batch()), optimizer, model);
    }

    /** One step with forward and loss under autocast to bf16: no loss scaler, bf16 has float32's range. */
    public static double autocastStep(Gpt model, Optimizer optimizer, ReversalTask task, int batchSize) {
        return Training.step(model, optimizer, () -> {
            Batch batch = task.next(batchSize);
            try (GradMode.Guard cast = Autocast.enable(DataType.BFLOAT16)) {
                return model.loss(batch.inputs(), batch.targets());
            }
        });
    }

    // ---- the chapter's other measurements ----

    /** One training run: its losses, and (pure bf16 modes) the fraction of updates lost at each step. */
    public record Curve(double[] losses, double[] lostFraction) {}

    /**
     * Trains {@code steps} steps in each mode but autocast (which stores float32 weights, like the
     * baseline) at learning rate {@code lr}, counting in the pure-bf16 modes the updates the
     * rounding lost.
     */
    public static Map<Mode, Curve> curves(Setup s, double lr, int steps) {
        Map<Mode, Curve> out = new LinkedHashMap<>();
        for (Mode mode : List.of(Mode.FLOAT32, Mode.PURE_BF16, Mode.PURE_BF16_KAHAN, Mode.PURE_BF16_STOCHASTIC)) {
            Rng.seed(41);
            ReversalTask task = new ReversalTask(s.digits(), 43);
            double[] losses = new double[steps];
            double[] lost = new double[steps];
            try (Gpt model = new Gpt(GptConfig.defaults().withDataType(storage(mode)));
                 Optimizer optimizer = optimizer(mode, model.parameters(), lr)) {
                Bf16.RoundingAdamW counting = optimizer instanceof Bf16.RoundingAdamW b ? b : null;
                for (int i = 0; i < steps; i++) {
                    if (counting != null) counting.countLostUpdates(true);
                    losses[i] = Training.step(model, optimizer, task, s.batch());
                    if (counting != null) lost[i] = (double) counting.lostUpdates() / counting.countedUpdates();
                }
            }
            out.put(mode, new Curve(losses, lost));
        }
        return out;
    }

    /**
     * Range: gradient entries that are non-zero in float32 but exactly zero when the same model is
     * stored in float16, and in bf16 — no loss scaler in either — for the loss weighted by
     * {@code lossWeight} (a mean over more tokens makes every gradient that much smaller).
     */
    public record Underflow(long entries, long lostInFloat16, long lostInBf16) {}

    public static Underflow underflow(int batch, double lossWeight) {
        float[] reference = gradients(DataType.FLOAT, batch, lossWeight);
        float[] half = gradients(DataType.HALF, batch, lossWeight);
        float[] bf16 = gradients(DataType.BFLOAT16, batch, lossWeight);
        long lostHalf = 0;
        long lostBf16 = 0;
        for (int i = 0; i < reference.length; i++) {
            if (reference[i] == 0) continue;
            if (half[i] == 0) lostHalf++;
            if (bf16[i] == 0) lostBf16++;
        }
        return new Underflow(reference.length, lostHalf, lostBf16);
    }

    private static float[] gradients(DataType type, int batch, double weight) {
        Rng.seed(7);
        try (Gpt model = new Gpt(GptConfig.defaults().withDataType(type)); Scope s = Scope.open()) {
            var b = new ReversalTask(8, 3).next(batch);
            model.loss(b.inputs(), b.targets()).mul(weight).backward();
            List<float[]> parts = new ArrayList<>();
            int n = 0;
            for (Tensor p : model.parameters()) {
                float[] g = p.grad().toFloatArray();
                parts.add(g);
                n += g.length;
            }
            float[] all = new float[n];
            int at = 0;
            for (float[] g : parts) {
                System.arraycopy(g, 0, all, at, g.length);
                at += g.length;
            }
            model.parameters().forEach(p -> p.zeroGrad(true));
            return all;
        }
    }

    /** {@code value} stored in {@code type} and read back (a one-element tensor; its scope frees it). */
    public static double roundTrip(double value, DataType type) {
        try (Scope s = Scope.open()) {
            return Tensor.of(new float[] {(float) value}, type, Category.TEMPORARY, 1).item();
        }
    }

    /**
     * Autocast with a large vocabulary: the highest ACTIVATION reading and the peak of one training
     * step of the default GPT with {@code vocab} output classes, float32 against autocast to bf16.
     */
    public record VocabularyCase(int vocab, long float32Activations, long autocastActivations, long float32Peak,
                                 long autocastPeak) {}

    public static VocabularyCase vocabulary(int vocab, int batch, int digits) {
        long[] activations = new long[2];
        long[] peaks = new long[2];
        for (int k = 0; k < 2; k++) {
            Rng.seed(3);
            ReversalTask task = new ReversalTask(digits, 5);
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("vocabulary " + vocab, false);
                 Gpt model = new Gpt(GptConfig.defaults().withVocabSize(vocab));
                 Optimizer adam = optimizer(Mode.FLOAT32, model.parameters(), LR)) {
                if (k == 0) Training.step(model, adam, task, batch);
                else autocastStep(model, adam, task, batch);
                activations[k] = meter.maxByCategory().get(Category.ACTIVATION);
                peaks[k] = meter.peakBytes();
            }
        }
        return new VocabularyCase(vocab, activations[0], activations[1], peaks[0], peaks[1]);
    }
}
