package org.memlean.ch02;

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
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;

/** Chapter 2's experiment: a deep GPT trained plainly and under each checkpointing policy (√L segments the headline). */
public final class CheckpointingChapter implements Chapter {
    /** How the blocks are checkpointed. */
    public enum Policy { NONE, EVERY_BLOCK, SQRT_SEGMENTS, ATTENTION_AND_MLP }

    /** Sizes of the experiment. */
    public record Setup(int layers, int batch, int digits, int steps) {}

    public static Setup setup(Size size) {
        return size == Size.QUICK ? new Setup(4, 4, 4, 2) : new Setup(16, 16, 8, 4);
    }

    /** The chapter's model: the default GPT, deeper and narrower (activations dominate). */
    public static GptConfig config(int layers) {
        return GptConfig.defaults().withLayers(layers).withChannels(32);
    }

    @Override
    public int number() {
        return 2;
    }

    @Override
    public String title() {
        return "Gradient Checkpointing（梯度检查点）";
    }

    @Override
    public String technique() {
        return "activation checkpointing (√L segments)";
    }

    @Override
    public Report run(Size size) {
        Setup s = setup(size);
        List<Experiment.Arm> arms = new ArrayList<>();
        for (Policy policy : Policy.values()) {
            arms.add(Experiment.arm(describe(policy, s.layers()), () -> session(s, policy)));
        }
        Map<String, Long> predicted = new LinkedHashMap<>();
        Formula f = new Formula(config(s.layers()), s.batch(), 2 * s.digits(), s.digits());
        predicted.put("activations, plain", f.plain());
        predicted.put("activations, every block", f.segments(1));
        predicted.put("activations, √L segments", f.segments(Checkpoint.sqrt(s.layers())));
        return Experiment.report(this, size, arms, s.steps(), Policy.SQRT_SEGMENTS.ordinal(), predicted);
    }

    /** An arm's name: the policy at depth L. */
    static String describe(Policy policy, int layers) {
        return "L=" + layers + ", " + switch (policy) {
            case NONE -> "plain";
            case EVERY_BLOCK -> "every block";
            case SQRT_SEGMENTS -> "√L segments of " + Checkpoint.sqrt(layers);
            case ATTENTION_AND_MLP -> "attention and MLP";
        };
    }

    /** Applies a policy to a fresh model. */
    public static void apply(Gpt model, Policy policy) {
        switch (policy) {
            case NONE -> { }
            case EVERY_BLOCK -> Checkpoint.segments(model, 1);
            case SQRT_SEGMENTS -> Checkpoint.segments(model, Checkpoint.sqrt(model.config().layers()));
            case ATTENTION_AND_MLP -> model.blocks().forEach(Checkpoint::wrapParts);
        }
    }

    static Experiment.Session session(Setup s, Policy policy) {
        Rng.seed(29);
        ReversalTask task = new ReversalTask(s.digits(), 31);
        Gpt model = new Gpt(config(s.layers()));
        apply(model, policy);
        AdamW optimizer = new AdamW(model.parameters(), 1e-3);
        return Experiment.Session.of(i -> Training.step(model, optimizer, task, s.batch()), optimizer, model);
    }

    /** One row of the depth sweep: the highest ACTIVATION reading and the peak of one step. */
    public record SweepRow(int layers, Policy policy, long activationBytes, long predictedActivationBytes,
                           long peakBytes, double millis) {}

    /** One measured training step per depth and policy (after one warm-up step). */
    public static List<SweepRow> sweep(int batch, int digits, int[] depths, Policy... policies) {
        List<SweepRow> rows = new ArrayList<>();
        for (int layers : depths) {
            for (Policy policy : policies) {
                Rng.seed(29);
                ReversalTask task = new ReversalTask(digits, 31);
                long empty = Device.settle();
                try (Gpt model = new Gpt(config(layers)); AdamW optimizer = new AdamW(model.parameters(), 1e-3)) {
                    apply(model, policy);
                    Training.step(model, optimizer, task, batch);
                    try (MemoryMeter meter = MemoryMeter.start(layers + " " + policy, false)) {
                        long start = System.nanoTime();
                        Training.step(model, optimizer, task, batch);
                        double millis = (System.nanoTime() - start) / 1e6;
                        Formula f = new Formula(config(layers), batch, 2 * digits, digits);
                        // the step's peak above its start, plus what it started with (parameters, AdamW's state)
                        long resident = meter.backendStartBytes() - empty;
                        rows.add(new SweepRow(layers, policy, meter.maxByCategory().get(Category.ACTIVATION),
                                f.of(policy), resident + meter.peakBytes(), millis));
                    }
                }
            }
        }
        return rows;
    }
}
