package org.memlean.ch09;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Chapter;
import org.memlean.lab.Experiment;
import org.memlean.lab.Report;
import org.memlean.lab.Size;
import org.memlean.lab.Training;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamSettings;
import org.memlean.optim.AdamW;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Rng;

/**
 * Chapter 9's experiment: the same GPT trained out of place and in place, with its GELU and with a
 * ReLU (whose activation can work in place too), and AdamW updating out of place.
 */
public final class InPlaceChapter implements Chapter {
    /** The model variants, in the order of the arms. */
    public enum Variant { OUT_OF_PLACE, IN_PLACE, RELU_OUT_OF_PLACE, RELU_IN_PLACE, OPTIMIZER_OUT_OF_PLACE }

    /** Sizes: the batch, the task's digits (T = 2·digits), the measured steps; dropout everywhere. */
    public record Setup(int batch, int digits, int steps, double dropout) {}

    public static Setup setup(Size size) {
        return size == Size.QUICK ? new Setup(8, 4, 3, 0.1) : new Setup(32, 8, 4, 0.1);
    }

    public static GptConfig config(Setup s) {
        return GptConfig.defaults().withVocabSize(ReversalTask.VOCAB).withDropout(s.dropout());
    }

    @Override
    public int number() {
        return 9;
    }

    @Override
    public String title() {
        return "In-place operations（Inplace 操作）";
    }

    @Override
    public String technique() {
        return "in-place residual, attention, dropout";
    }

    public static String name(Variant v) {
        return switch (v) {
            case OUT_OF_PLACE -> "out of place";
            case IN_PLACE -> "in place";
            case RELU_OUT_OF_PLACE -> "ReLU, out of place";
            case RELU_IN_PLACE -> "ReLU, in place";
            case OPTIMIZER_OUT_OF_PLACE -> "AdamW out of place";
        };
    }

    @Override
    public Report run(Size size) {
        Setup s = setup(size);
        List<Experiment.Arm> arms = new ArrayList<>();
        for (Variant v : Variant.values()) {
            Experiment.Arm arm = Experiment.arm(name(v), () -> session(v, s));
            if (v == Variant.RELU_OUT_OF_PLACE || v == Variant.RELU_IN_PLACE) arm = arm.against(Variant.RELU_OUT_OF_PLACE.ordinal());
            arms.add(arm);
        }
        GptConfig c = config(s);
        long b = s.batch();
        long t = 2L * s.digits();
        Map<String, Long> predicted = new LinkedHashMap<>();
        predicted.put("bytes not allocated per step, in place (GELU)", bytesSavedPerStep(c, b, t, false));
        predicted.put("bytes not allocated per step, in place (ReLU)", bytesSavedPerStep(c, b, t, true));
        return Experiment.report(this, size, arms, s.steps(), Variant.IN_PLACE.ordinal(), predicted);
    }

    /**
     * Buffers each in-place block does not allocate in a forward: four bias adds, the scale, the mask,
     * the softmax, two residual adds, two dropouts (if dropout is on), and with ReLU its output.
     */
    public static int buffersSavedPerBlock(GptConfig c, boolean relu) {
        return 9 + (c.dropout() > 0 ? 2 : 0) + (relu ? 1 : 0);
    }

    /**
     * Bytes a step does not allocate in place: per block, the four linear layers' outputs (3C, C, 4C
     * and C wide: 9·BTC), three (B, H, T, T) buffers (the scaled scores, the masked scores, the
     * probabilities), two (B, T, C) sums, two (B, T, C) dropout outputs, and with ReLU its (B, T, 4C) output.
     */
    public static long bytesSavedPerStep(GptConfig c, long b, long t, boolean relu) {
        long btc = 4 * b * t * c.channels();
        long bhtt = 4 * b * c.heads() * t * t;
        long perBlock = 9 * btc + 3 * bhtt + 2 * btc + (c.dropout() > 0 ? 2 * btc : 0) + (relu ? 4 * btc : 0);
        return c.layers() * perBlock;
    }

    /** A fresh model of a variant (the same weights for every variant). */
    public static Gpt model(Variant v, Setup s) {
        Rng.seed(101);
        Gpt model = new Gpt(config(s));
        if (v == Variant.RELU_OUT_OF_PLACE || v == Variant.RELU_IN_PLACE) InPlaceModel.withRelu(model);
        if (v == Variant.IN_PLACE || v == Variant.RELU_IN_PLACE) InPlaceModel.apply(model);
        return model;
    }

    public static Optimizer optimizer(Variant v, Gpt model) {
        return v == Variant.OPTIMIZER_OUT_OF_PLACE
                ? new OutOfPlaceAdamW(model.parameters(), new AdamSettings(3e-3, 0.9, 0.99, 1e-8, 0))
                : new AdamW(model.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0);
    }

    public static Experiment.Session session(Variant v, Setup s) {
        Gpt model = model(v, s);
        Optimizer adam = optimizer(v, model);
        ReversalTask task = new ReversalTask(s.digits(), 103);
        Rng.seed(107);                                               // the dropout masks: the same in every variant
        return Experiment.Session.of(i -> Training.step(model, adam, task.next(s.batch())), adam, model);
    }

}
