package org.memlean.ch05;

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
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.optim.Optimizer;
import org.memlean.optim.Sgd;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;

/** Chapter 5's experiment: the same model, data and steps under seven optimizers; AdamW is the baseline. */
public final class OptimizersChapter implements Chapter {
    /** The optimizers, in the order of the arms. */
    public enum Kind { ADAMW, SGD, SGD_MOMENTUM, ADAFACTOR, LION, ADAMW_8BIT, SOPHIA }

    /** Sizes of the experiment. */
    public record Setup(int batch, int digits, int steps) {}

    public static Setup setup(Size size) {
        return size == Size.QUICK ? new Setup(8, 4, 3) : new Setup(32, 8, 6);
    }

    /** The paper's cap on Adafactor's relative step, min(10⁻², 1/√t), shown beside the tuned one. */
    public static final double PAPER_ADAFACTOR = 1e-2;

    /** Sophia refreshes its Hessian estimate every this many steps (the paper's k). */
    public static final int HESSIAN_INTERVAL = 10;

    @Override
    public int number() {
        return 5;
    }

    @Override
    public String title() {
        return "Efficient Optimizers（高效优化器）";
    }

    @Override
    public String technique() {
        return "Adafactor's factored second moment";
    }

    @Override
    public Report run(Size size) {
        Setup s = setup(size);
        List<Experiment.Arm> arms = new ArrayList<>();
        for (Kind kind : Kind.values()) arms.add(Experiment.arm(name(kind), () -> session(kind, s)));
        GptConfig c = GptConfig.defaults();
        Map<String, Long> predicted = new LinkedHashMap<>();
        for (Kind kind : Kind.values()) predicted.put("optimizer state, " + name(kind), stateBytes(kind, c));
        return Experiment.report(this, size, arms, s.steps(), Kind.ADAFACTOR.ordinal(), predicted);
    }

    public static String name(Kind kind) {
        return switch (kind) {
            case ADAMW -> "AdamW";
            case SGD -> "SGD";
            case SGD_MOMENTUM -> "SGD + momentum";
            case ADAFACTOR -> "Adafactor";
            case LION -> "Lion";
            case ADAMW_8BIT -> "8-bit AdamW";
            case SOPHIA -> "Sophia";
        };
    }

    /**
     * Each optimizer at the learning rate that trained the course's GPT best in a short sweep on this
     * task (60 steps, a factor of about 3 between tries), as one would tune any of them: SGD 0.3
     * (1.0 diverges), SGD with momentum 0.1 (0.3 learns faster at batch 32 but oscillates at 16), Lion 3·10⁻³ (the paper advises 3–10× below AdamW's; here
     * AdamW's own rate trained best), Adafactor with its relative step capped at 10⁻¹ instead of the
     * paper's 10⁻² (see {@link #PAPER_ADAFACTOR}); AdamW, 8-bit AdamW and Sophia 3·10⁻³.
     */
    public static Optimizer optimizer(Kind kind, List<Tensor> parameters) {
        return switch (kind) {
            case ADAMW -> new AdamW(parameters, 3e-3, 0.9, 0.999, 1e-8, 0.0);
            case SGD -> new Sgd(parameters, 0.3, 0, 0);
            case SGD_MOMENTUM -> new Sgd(parameters, 0.1, 0.9, 0);
            case ADAFACTOR -> new Adafactor(parameters, 1e-1);
            case LION -> new Lion(parameters, 3e-3);
            case ADAMW_8BIT -> new AdamW8bit(parameters, 3e-3, 0.9, 0.999, 1e-8, 0.0);
            case SOPHIA -> new Sophia(parameters, 3e-3, 0.965, 0.99, 0.04, 0.0);
        };
    }

    /**
     * Optimizer-state bytes of {@code kind} on a FLOAT GPT of {@code config}, by formula, parameter by
     * parameter (block scales and factor vectors included): tested against the meter to the byte, and
     * the calculator's figure for a 7-billion-parameter model.
     */
    public static long stateBytes(Kind kind, GptConfig config) {
        long bytes = 0;
        for (long[] shape : config.parameterShapes().values()) {
            long n = 1;
            for (long d : shape) n *= d;
            bytes += switch (kind) {
                case ADAMW -> 8 * n;
                case SGD -> 0;
                case SGD_MOMENTUM, LION -> Lion.stateBytes(n, 4);
                case ADAFACTOR -> Adafactor.stateBytes(shape);
                case ADAMW_8BIT -> AdamW8bit.stateBytes(n);
                case SOPHIA -> Sophia.stateBytes(n, 4);
            };
        }
        return bytes;
    }

    /** One step of {@code kind} (Sophia also refreshes its Hessian estimate every k steps). */
    static double step(Kind kind, Gpt model, Optimizer optimizer, ReversalTask task, int batch, int index) {
        double loss = Training.step(model, optimizer, task, batch);
        if (kind == Kind.SOPHIA && index % HESSIAN_INTERVAL == 0) {
            try (Scope s = Scope.open()) {
                ((Sophia) optimizer).updateHessian(model, task.next(batch));
            }
        }
        return loss;
    }

    /** A model, its optimizer and its data, from the same initial weights for every kind. */
    public static Experiment.Session session(Kind kind, Setup s) {
        Rng.seed(51);
        ReversalTask task = new ReversalTask(s.digits(), 53);
        Gpt model = new Gpt(GptConfig.defaults());
        Optimizer optimizer = optimizer(kind, model.parameters());
        return Experiment.Session.of(i -> step(kind, model, optimizer, task, s.batch(), i), optimizer, model);
    }

    /**
     * The loss of each step of each optimizer, on the same data from the same initial weights, by
     * name — and Adafactor once more with the paper's cap on its relative step.
     */
    public static Map<String, double[]> curves(Setup s, int steps) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Kind kind : Kind.values()) {
            double[] losses = new double[steps];
            try (Experiment.Session session = session(kind, s)) {
                for (int i = 0; i < steps; i++) losses[i] = session.step(i);
            }
            out.put(name(kind), losses);
        }
        Rng.seed(51);
        ReversalTask task = new ReversalTask(s.digits(), 53);
        double[] losses = new double[steps];
        try (Gpt model = new Gpt(GptConfig.defaults()); Adafactor paper = new Adafactor(model.parameters(), PAPER_ADAFACTOR)) {
            for (int i = 0; i < steps; i++) losses[i] = Training.step(model, paper, task, s.batch());
        }
        out.put("Adafactor, the paper's step cap 1e-2", losses);
        return out;
    }
}
