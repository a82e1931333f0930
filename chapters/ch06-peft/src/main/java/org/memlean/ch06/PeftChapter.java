package org.memlean.ch06;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.memlean.data.ReversalTask;
import org.memlean.data.SortTask;
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
import org.memlean.nn.ParameterFiles;
import org.memlean.optim.AdamW;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Rng;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Chapter 6's experiment: a GPT pretrained on reversal, fine-tuned on sorting four ways — every
 * weight (baseline), LoRA on q and v, adapters, and LoRA on a base stored in bf16.
 */
public final class PeftChapter implements Chapter {
    /** The four ways to fine-tune, in the order of the arms. */
    public enum Method { FULL, LORA, ADAPTERS, LORA_BF16_BASE }

    /** Sizes: the fine-tuning batch and steps, and the pretraining steps before them. */
    public record Setup(int batch, int digits, int steps, int pretrainSteps) {}

    public static Setup setup(Size size) {
        return size == Size.QUICK ? new Setup(8, 4, 3, 20) : new Setup(32, 8, 6, 100);
    }

    /** LoRA's rank and α (α/r = 2), and the adapters' bottleneck. */
    public static final int RANK = 4;
    public static final double ALPHA = 8;
    public static final int BOTTLENECK = 8;

    @Override
    public int number() {
        return 6;
    }

    @Override
    public String title() {
        return "Parameter-Efficient Fine-Tuning（参数高效微调）";
    }

    @Override
    public String technique() {
        return "LoRA on q and v (r = 4)";
    }

    @Override
    public Report run(Size size) {
        Setup s = setup(size);
        List<Experiment.Arm> arms = new ArrayList<>();
        for (Method m : Method.values()) arms.add(Experiment.arm(name(m), () -> session(m, s)));
        GptConfig c = GptConfig.defaults();
        long lora = Lora.trainableParameters(c.channels(), c.layers(), Lora.DEFAULT_TARGETS, RANK);
        long adapters = Adapters.trainableParameters(c.channels(), c.layers(), BOTTLENECK);
        Map<String, Long> predicted = new LinkedHashMap<>();
        predicted.put("gradients + AdamW state, full fine-tuning", 12 * c.parameterCount());
        predicted.put("gradients + AdamW state, LoRA", 12 * lora);
        predicted.put("gradients + AdamW state, adapters", 12 * adapters);
        predicted.put("frozen base weights, float32", 4 * c.parameterCount());
        predicted.put("frozen base weights, bf16", 2 * c.parameterCount());
        return Experiment.report(this, size, arms, s.steps(), Method.LORA.ordinal(), predicted);
    }

    public static String name(Method m) {
        return switch (m) {
            case FULL -> "full fine-tuning";
            case LORA -> "LoRA q,v r=" + RANK;
            case ADAPTERS -> "adapters m=" + BOTTLENECK;
            case LORA_BF16_BASE -> "LoRA, bf16 base";
        };
    }

    private static final Map<Integer, Path> PRETRAINED = new ConcurrentHashMap<>();

    /** The parameters of a GPT trained {@code steps} steps on reversal: trained once per JVM and size, kept in a file. */
    public static Path pretrained(int steps) {
        return PRETRAINED.computeIfAbsent(steps, k -> {
            Rng.seed(61);
            ReversalTask task = new ReversalTask(8, 63);
            try (Gpt model = new Gpt(GptConfig.defaults()); AdamW adam = new AdamW(model.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0)) {
                for (int i = 0; i < steps; i++) Training.step(model, adam, task, 32);
                Path file = Files.createTempFile("memlean-pretrained-" + steps + "-", ".params");
                file.toFile().deleteOnExit();
                ParameterFiles.save(model, file);
                return file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** A fresh GPT holding the pretrained (float32) weights, stored in {@code type}. */
    public static Gpt pretrainedModel(Setup s, DataType type) {
        Gpt model = new Gpt(GptConfig.defaults().withDataType(type));
        try {
            ParameterFiles.loadConverting(model, pretrained(s.pretrainSteps()));
            return model;
        } catch (IOException e) {
            model.close();
            throw new UncheckedIOException(e);
        }
    }

    /** The pretrained model prepared for a method: everything trainable, or frozen with LoRA or adapters. */
    public static Gpt prepared(Method m, Setup s) {
        Gpt model = pretrainedModel(s, m == Method.LORA_BF16_BASE ? DataType.BFLOAT16 : DataType.FLOAT);
        switch (m) {
            case FULL -> { }
            case LORA, LORA_BF16_BASE -> Lora.apply(model, Lora.DEFAULT_TARGETS, RANK, ALPHA);
            case ADAPTERS -> Adapters.apply(model, BOTTLENECK);
        }
        return model;
    }

    /**
     * The learning rate of each method, the best of 3·10⁻⁴, 10⁻³, 3·10⁻³, 10⁻² and 3·10⁻² in a
     * 60-step sweep on this task: the few trainable parameters of LoRA and adapters take 10× larger
     * steps than the full model's (as Hu et al. also found).
     */
    public static double learningRate(Method m) {
        return m == Method.FULL ? 3e-3 : 3e-2;
    }

    /** Fine-tuning on sorting in one method, from the same pretrained weights and data. */
    public static Experiment.Session session(Method m, Setup s) {
        Rng.seed(67);
        SortTask task = new SortTask(s.digits(), 69);
        Gpt model = prepared(m, s);
        Optimizer adam = new AdamW(model.parameters(), learningRate(m), 0.9, 0.99, 1e-8, 0);
        return Experiment.Session.of(i -> Training.step(model, adam, task.next(s.batch())), adam, model);
    }


    /** What one method keeps and saves, measured over a few steps. */
    public record Breakdown(Method method, long trainableParameters, long gradientBytes, long optimizerStateBytes,
                            long activationBytes, long parameterBytes) {}

    public static Breakdown breakdown(Method m, Setup s) {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start(name(m), false); Experiment.Session session = session(m, s)) {
            for (int i = 0; i < 2; i++) session.step(i);
            var max = meter.maxByCategory();
            long trainable;
            try (Gpt probe = prepared(m, s)) {
                trainable = probe.trainableParameterCount();
            }
            return new Breakdown(m, trainable, max.get(Category.GRADIENT),
                    max.get(Category.OPTIMIZER_STATE), max.get(Category.ACTIVATION),
                    max.get(Category.PARAMETER));
        }
    }

    /** The fine-tuning loss of each method over {@code steps} steps, same data and pretrained weights. */
    public static Map<String, double[]> curves(Setup s, int steps) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Method m : Method.values()) {
            double[] losses = new double[steps];
            try (Experiment.Session session = session(m, s)) {
                for (int i = 0; i < steps; i++) losses[i] = session.step(i);
            }
            out.put(name(m), losses);
        }
        return out;
    }
}
