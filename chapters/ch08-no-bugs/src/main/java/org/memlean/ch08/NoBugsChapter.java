package org.memlean.ch08;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memlean.ch08.Bugs.Bug;
import org.memlean.ch08.Bugs.Loop;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Chapter;
import org.memlean.lab.Experiment;
import org.memlean.lab.Report;
import org.memlean.lab.Size;
import org.memlean.memory.LeakCheck;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.tensor.Rng;

/**
 * Chapter 8's experiment, in two groups of arms. Evaluation: the GPT evaluated batch by batch with
 * grad mode on (the baseline), under no-grad (the technique), and with bug 2. Training: the correct
 * loop (the baseline of its group) and the loop with each of bugs 1 and 3–6.
 */
public final class NoBugsChapter implements Chapter {
    /** Sizes: the batch, the task's digits (T = 2·digits), the steps each arm runs. */
    public record Setup(int batch, int digits, int steps) {
        public Bugs.Sizes sizes() {
            return new Bugs.Sizes(batch, digits, 3e-3);
        }
    }

    public static Setup setup(Size size) {
        return size == Size.QUICK ? new Setup(8, 4, 6) : new Setup(32, 8, 12);
    }

    /** The course's GPT (its vocabulary is the reversal task's). */
    public static GptConfig config() {
        return GptConfig.defaults().withVocabSize(ReversalTask.VOCAB);
    }

    @Override
    public int number() {
        return 8;
    }

    @Override
    public String title() {
        return "No-grad evaluation and memory bugs（无 bug 的训练与评估）";
    }

    @Override
    public String technique() {
        return "evaluation under no-grad";
    }

    /** The arms' names, in order. */
    public static final String EVAL_WITH_GRAD = "eval, grad on";
    public static final String EVAL_NO_GRAD = "eval, no-grad";
    public static final String TRAINING = "training, correct";

    @Override
    public Report run(Size size) {
        Setup s = setup(size);
        List<Experiment.Arm> arms = new ArrayList<>();
        arms.add(Experiment.arm(EVAL_WITH_GRAD, () -> evaluation(s, true)));
        arms.add(Experiment.arm(EVAL_NO_GRAD, () -> evaluation(s, false)));
        arms.add(Experiment.arm(Bug.EVAL_WITH_GRAD.title(), () -> new Loop(Bug.EVAL_WITH_GRAD, false, s.sizes(), config())));
        arms.add(Experiment.arm(TRAINING, () -> new Loop(Bug.NO_SCOPE, true, s.sizes(), config())).against(3));
        for (Bug bug : Bug.values()) {
            if (bug == Bug.EVAL_WITH_GRAD) continue;
            arms.add(Experiment.arm(bug.title(), () -> new Loop(bug, false, s.sizes(), config())).against(3));
        }
        GptConfig c = config();
        long t = 2L * s.digits();
        Map<String, Long> predicted = new LinkedHashMap<>();
        predicted.put("no-grad evaluation: peak (parameters, ids, targets, in flight)",
                c.inferencePeakBytes(s.batch(), t) + 4L * s.batch() * s.digits());
        predicted.put("grad on: activations saved by the end of the forward", c.savedActivationBytes(s.batch(), t, s.digits()));
        predicted.put("bug 3: growth per step, the logits kept (4·B·T·V)", 4L * s.batch() * t * c.vocabSize());
        return Experiment.report(this, size, arms, s.steps(), 1, predicted);
    }

    /** Evaluation batch by batch, each in its own scope; with grad mode on or under no-grad. */
    public static Experiment.Session evaluation(Setup s, boolean withGrad) {
        Rng.seed(83);
        Gpt model = new Gpt(config());
        ReversalTask task = new ReversalTask(s.digits(), 97);
        return Experiment.Session.of(i -> Evaluation.batch(model, task.nextExamples(s.batch()), withGrad).loss(), model);
    }

    /** A bug's loop and its fix, each through the leak detector: {@code warmUp} steps, then {@code steps}. */
    public record Measured(Bug bug, LeakCheck.Result withBug, LeakCheck.Result withFix) {}

    public static Measured measure(Bug bug, Setup s, int warmUp, int steps) {
        LeakCheck.Result buggy;
        LeakCheck.Result fixed;
        try (Loop loop = new Loop(bug, false, s.sizes(), config())) {
            buggy = LeakCheck.run(warmUp, steps, loop::step);
        }
        try (Loop loop = new Loop(bug, true, s.sizes(), config())) {
            fixed = LeakCheck.run(warmUp, steps, loop::step);
        }
        return new Measured(bug, buggy, fixed);
    }
}
