package org.memlean.ch03;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Chapter;
import org.memlean.lab.Experiment;
import org.memlean.lab.Measurement;
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

/** Chapter 3's experiments: float32 against autocast (a) and against fp16 weights with fp32 masters (b). */
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
        Measurement fp32 = Experiment.measure("float32", () -> train(Mode.FLOAT32, s).outcome());
        Measurement amp = Experiment.measure("autocast float16", () -> train(Mode.AUTOCAST, s).outcome());
        long p = GptConfig.defaults().parameterCount();
        Map<String, Long> predicted = new LinkedHashMap<>();
        predicted.put("activations, float32", Formula.float32(GptConfig.defaults(), s.batch(), 2 * s.digits(), s.digits()));
        predicted.put("activations, autocast", Formula.autocast(GptConfig.defaults(), s.batch(), 2 * s.digits(), s.digits()));
        predicted.put("weights + gradients + AdamW, either", 16 * p);
        return new Report(number(), title(), technique(), fp32, amp, predicted);
    }

    /** A training run's losses and timing, and the meter's highest reading per category. */
    public record Run(double[] losses, Experiment.Outcome outcome, Map<Category, Long> maxByCategory,
                      MixedPrecision.LossScaler scaler) {}

    /**
     * Trains {@code s.steps()} steps in one mode, on the same data from the same initial weights; the
     * per-category figures are those of the calling thread's meter.
     */
    public static Run train(Mode mode, Setup s) {
        Rng.seed(41);
        ReversalTask task = new ReversalTask(s.digits(), 43);
        double[] losses = new double[s.steps()];
        Experiment.Outcome outcome;
        MixedPrecision.LossScaler scaler = new MixedPrecision.LossScaler();
        GptConfig config = GptConfig.defaults().withDataType(mode == Mode.MASTER_WEIGHTS ? DataType.HALF : DataType.FLOAT);
        Map<Category, Long> max;
        MemoryMeter meter = MemoryMeter.current();   // the caller's meter (Experiment.measure or measured())
        try (Gpt model = new Gpt(config)) {
            AdamW adam = mode == Mode.MASTER_WEIGHTS ? null : new AdamW(model.parameters(), 3e-3, 0.9, 0.999, 1e-8, 0.0);
            MixedPrecision.MasterWeights masters = mode == Mode.MASTER_WEIGHTS
                    ? new MixedPrecision.MasterWeights(model.parameters(), 3e-3) : null;
            outcome = Experiment.timed(s.steps(), i -> losses[i] = switch (mode) {
                case FLOAT32 -> Training.step(model, adam, task, s.batch());
                case AUTOCAST -> MixedPrecision.autocastStep(model, adam, scaler, () -> task.next(s.batch()), DataType.HALF);
                case MASTER_WEIGHTS -> MixedPrecision.masterWeightsStep(model, masters, scaler, () -> task.next(s.batch()));
            });
            max = new EnumMap<>(meter.maxByCategory());
            if (adam != null) adam.close();
            if (masters != null) masters.close();
        }
        return new Run(losses, outcome, max, scaler);
    }

    /** Runs {@link #train} under a meter of its own, on a settled device (for tests and notebooks). */
    public static Run measured(Mode mode, Setup s) {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start(mode.name(), false)) {
            return train(mode, s);
        }
    }
}
