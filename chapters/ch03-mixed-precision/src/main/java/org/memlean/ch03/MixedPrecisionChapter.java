package org.memlean.ch03;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Chapter;
import org.memlean.lab.Experiment;
import org.memlean.lab.Report;
import org.memlean.lab.Size;
import org.memlean.lab.Training;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;
import org.nd4j.linalg.api.buffer.DataType;

/** Chapter 3's experiment: float32 against autocast (a, the headline) and fp16 weights with fp32 masters (b). */
public final class MixedPrecisionChapter implements Chapter {
    /** The three ways to train. */
    public enum Mode { FLOAT32, AUTOCAST, MASTER_WEIGHTS }

    /** Sizes of the experiment. */
    public record Setup(int batch, int digits, int steps) {}

    public static Setup setup(Size size) {
        return size == Size.QUICK ? new Setup(8, 4, 3) : new Setup(32, 8, 8);
    }

    @Override
    public int number() {
        return 3;
    }

    @Override
    public String title() {
        return "Mixed Precision（混合精度训练）";
    }

    @Override
    public String technique() {
        return "autocast to float16 + loss scaling";
    }

    @Override
    public Report run(Size size) {
        Setup s = setup(size);
        List<Experiment.Arm> arms = List.of(
                Experiment.arm("float32", () -> session(Mode.FLOAT32, s, null)),
                Experiment.arm("autocast float16", () -> session(Mode.AUTOCAST, s, null)),
                Experiment.arm("fp16 weights + fp32 masters", () -> session(Mode.MASTER_WEIGHTS, s, null)));
        GptConfig c = GptConfig.defaults();
        long p = c.parameterCount();
        long t = 2L * s.digits();
        Map<String, Long> predicted = new LinkedHashMap<>();
        predicted.put("activations, float32", Formula.float32(c, s.batch(), t, s.digits()));
        predicted.put("activations, autocast", Formula.autocast(c, s.batch(), t, s.digits()));
        predicted.put("activations, float16 storage", Formula.float16Storage(c, s.batch(), t, s.digits()));
        predicted.put("weights + gradients + AdamW, float32 and autocast", 16 * p);
        predicted.put("weights + gradients + masters + AdamW, fp16 weights", 18 * p);
        return Experiment.report(this, size, arms, s.steps(), Mode.AUTOCAST.ordinal(), predicted);
    }

    /** A training run's losses, and the meter's highest reading per category. */
    public record Run(double[] losses, Map<Category, Long> maxByCategory, MixedPrecision.LossScaler scaler) {}

    /**
     * A model, its optimizer (or float32 masters) and its loss scaler, ready to train in one mode on
     * the same data from the same initial weights. {@code scalerOut}, if given, receives the scaler.
     */
    static Experiment.Session session(Mode mode, Setup s, MixedPrecision.LossScaler[] scalerOut) {
        Rng.seed(41);
        ReversalTask task = new ReversalTask(s.digits(), 43);
        MixedPrecision.LossScaler scaler = new MixedPrecision.LossScaler();
        if (scalerOut != null) scalerOut[0] = scaler;
        GptConfig config = GptConfig.defaults().withDataType(mode == Mode.MASTER_WEIGHTS ? DataType.HALF : DataType.FLOAT);
        Gpt model = new Gpt(config);
        if (mode == Mode.MASTER_WEIGHTS) {
            MixedPrecision.MasterWeights masters = new MixedPrecision.MasterWeights(model.parameters(), 3e-3, scaler);
            return Experiment.Session.of(i -> MixedPrecision.masterWeightsStep(model, masters,
                    () -> task.next(s.batch())), masters, model);
        }
        AdamW adam = new AdamW(model.parameters(), 3e-3, 0.9, 0.999, 1e-8, 0.0);
        return Experiment.Session.of(i -> mode == Mode.FLOAT32 ? Training.step(model, adam, task, s.batch())
                : MixedPrecision.autocastStep(model, adam, scaler, () -> task.next(s.batch()), DataType.HALF), adam, model);
    }

    /**
     * Trains {@code s.steps()} steps in one mode; the per-category figures are those of the calling
     * thread's meter.
     */
    public static Run train(Mode mode, Setup s) {
        double[] losses = new double[s.steps()];
        MixedPrecision.LossScaler[] scaler = new MixedPrecision.LossScaler[1];
        MemoryMeter meter = MemoryMeter.current();   // the caller's meter (measured()), or the global one
        Map<Category, Long> max;
        try (Experiment.Session session = session(mode, s, scaler)) {
            for (int i = 0; i < s.steps(); i++) losses[i] = session.step(i);
            max = new EnumMap<>(meter.maxByCategory());
        }
        return new Run(losses, max, scaler[0]);
    }

    /** Runs {@link #train} under a meter of its own, on a settled device (for tests and notebooks). */
    public static Run measured(Mode mode, Setup s) {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start(mode.name(), false)) {
            return train(mode, s);
        }
    }
}
