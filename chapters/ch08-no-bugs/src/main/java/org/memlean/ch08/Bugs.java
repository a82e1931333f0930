package org.memlean.ch08;

import java.util.ArrayList;
import java.util.List;
import org.memlean.data.Batch;
import org.memlean.data.Examples;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Experiment;
import org.memlean.lab.Training;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Losses;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;

/**
 * Six memory bugs, each a few lines of a training or evaluation loop, with the PyTorch form of the
 * same mistake beside the Java one, and the fix. {@link Loop} runs a loop with the bug or with its
 * fix, so that a leak detector can measure both.
 */
public final class Bugs {
    private Bugs() {}

    /** The bugs, in the chapter's order. */
    public enum Bug {
        LOSS_TENSOR("bug 1: total += loss",
                "total_loss += loss                      # a tensor with its history",
                "total = total.add(loss); step.keep(total.storage());   // the sum kept past the step",
                "total += loss.item()                    // a number"),
        EVAL_WITH_GRAD("bug 2: eval with grad, outputs kept",
                "outputs.append(model(x))               # no torch.no_grad(): every output keeps its graph",
                "evaluation.resume(); outputs.add(model.forward(x)); evaluation.suspend();   // one scope for the loop, grad on",
                "Evaluation.batch(model, x, false)      // no-grad, a scope per batch, metrics on the heap"),
        KEPT_OUTPUTS("bug 3: logits kept for metrics",
                "history.append(logits)                  # for an accuracy curve later",
                "history.add(logits); step.keep(logits.storage());",
                "accuracies.add(Evaluation.accuracy(answer, targets))   // the number, now"),
        NO_ZERO_GRAD("bug 4: no zero_grad",
                "# optimizer.zero_grad() forgotten",
                "// adam.zeroGrad(true) forgotten",
                "adam.zeroGrad(true)"),
        NO_SCOPE("bug 5: no scope",
                "(Python frees a tensor when its last reference goes; Java's collector frees when it likes)",
                "Tensor loss = model.loss(x, y); loss.backward(); ...   // no Scope: nothing is closed",
                "try (Scope step = Scope.open()) { ... }"),
        SKIPPED_CLOSE("bug 6: close skipped by an exception",
                "except RuntimeError as e: skipped.append(e)   # the traceback keeps the frame's tensors",
                "Scope step = Scope.open(); ...; step.close();   // a bad batch throws past close()",
                "try (Scope step = Scope.open()) { ... }   // closed on every path");

        private final String title;
        private final String pytorch;
        private final String java;
        private final String fix;

        Bug(String title, String pytorch, String java, String fix) {
            this.title = title;
            this.pytorch = pytorch;
            this.java = java;
            this.fix = fix;
        }

        public String title() {
            return title;
        }

        public String pytorch() {
            return pytorch;
        }

        public String java() {
            return java;
        }

        public String fix() {
            return fix;
        }
    }

    /** The loop's sizes: the batch, the reversal task's digits, the learning rate. */
    public record Sizes(int batch, int digits, double lr) {}

    /**
     * A loop of training steps on reversal (or, for bug 2, evaluation batches) with one bug, or with
     * its fix. Bug 6's loop gets a bad batch (a target out of the vocabulary) every other step and
     * skips it, as a loop that logs and goes on would.
     */
    public static final class Loop implements Experiment.Session {
        private final Bug bug;
        private final boolean fixed;
        private final Sizes sizes;
        private final Gpt model;
        private final AdamW adam;
        private final ReversalTask task;
        private final List<Tensor> kept = new ArrayList<>();     // what the buggy loops hold on to
        private final List<Double> accuracies = new ArrayList<>();
        private final List<Scope> leakedScopes = new ArrayList<>();
        private final Scope evaluation;                          // bug 2: one scope for the whole loop
        private Tensor total;
        private double totalValue;
        private double lastLoss = Double.NaN;
        private int skipped;

        public Loop(Bug bug, boolean fixed, Sizes sizes, GptConfig config) {
            this.bug = bug;
            this.fixed = fixed;
            this.sizes = sizes;
            Rng.seed(83);
            this.model = new Gpt(config);
            this.adam = new AdamW(model.parameters(), sizes.lr(), 0.9, 0.99, 1e-8, 0);
            this.task = new ReversalTask(sizes.digits(), 89);
            if (bug == Bug.EVAL_WITH_GRAD && !fixed) {
                evaluation = Scope.open();
                evaluation.suspend();
            } else {
                evaluation = null;
            }
        }

        @Override
        public double step(int index) {
            return switch (bug) {
                case LOSS_TENSOR -> lossTensor();
                case EVAL_WITH_GRAD -> evaluation();
                case KEPT_OUTPUTS -> keptOutputs();
                case NO_ZERO_GRAD -> trainingStep(!fixed);
                case NO_SCOPE -> fixed ? trainingStep(false) : withoutScope();
                case SKIPPED_CLOSE -> skippedClose(index);
            };
        }

        /** The correct step (or, with {@code keepGradients}, bug 4: the gradients are never cleared). */
        private double trainingStep(boolean keepGradients) {
            if (!keepGradients) return Training.step(model, adam, () -> lossOn(task.next(sizes.batch())));
            try (Scope step = Scope.open()) {
                Tensor loss = lossOn(task.next(sizes.batch()));
                double value = loss.item();
                loss.backward();
                adam.step();                                     // and no zeroGrad: the next backward adds to these
                return value;
            }
        }

        private Tensor lossOn(Batch b) {
            return model.loss(b.inputs(), b.targets());
        }

        private double lossTensor() {
            try (Scope step = Scope.open()) {
                Batch b = task.next(sizes.batch());
                Tensor loss = model.loss(b.inputs(), b.targets());
                loss.backward();
                adam.step();
                adam.zeroGrad(true);
                if (fixed) {
                    totalValue += loss.item();                       // a number
                } else {
                    total = total == null ? loss : total.add(loss);  // a tensor, and its history with it
                    step.keep(total.storage());
                }
                return loss.item();
            }
        }

        private double evaluation() {
            Examples examples = task.nextExamples(sizes.batch());
            if (fixed) return Evaluation.batch(model, examples, false).loss();
            model.eval();
            evaluation.resume();                                     // grad mode on: every op saves for backward
            try {
                Batch b = examples.toBatch();
                Tensor logits = model.forward(b.inputs());
                kept.add(logits);                                    // to compute metrics after the loop
                long t = logits.size(1);
                long n = b.targets().size(1);
                return Losses.crossEntropy(logits.slice(1, t - n, n), b.targets()).item();
            } finally {
                evaluation.suspend();
            }
        }

        private double keptOutputs() {
            try (Scope step = Scope.open()) {
                Batch b = task.next(sizes.batch());
                Tensor logits = model.forward(b.inputs());                 // (B, T, V)
                long t = logits.size(1);
                long n = b.targets().size(1);
                Tensor answer = logits.slice(1, t - n, n);                 // (B, N, V)
                Tensor loss = Losses.crossEntropy(answer, b.targets());
                double value = loss.item();
                loss.backward();
                adam.step();
                adam.zeroGrad(true);
                if (fixed) {
                    accuracies.add(Evaluation.accuracy(answer, b.targets()));   // the number, on the heap
                } else {
                    kept.add(logits);                                      // the whole (B, T, V) logits
                    step.keep(logits.storage());
                }
                return value;
            }
        }

        /** Bug 5: no scope, so nothing the step allocates is closed; the collector frees the arrays when it runs. */
        private double withoutScope() {
            Batch b = task.next(sizes.batch());
            Tensor loss = model.loss(b.inputs(), b.targets());
            double value = loss.item();
            loss.backward();
            adam.step();
            adam.zeroGrad(true);
            return value;
        }

        /** Bug 6: every other batch is bad; the loop skips it — and, unfixed, the close() after it. */
        private double skippedClose(int index) {
            Examples examples = task.nextExamples(sizes.batch());
            if (index % 2 == 1) examples.targets()[0] = ReversalTask.VOCAB + 5;     // a label out of range
            if (fixed) {
                try {
                    return lastLoss = Training.step(model, adam, () -> lossOn(examples.toBatch()));
                } catch (IllegalArgumentException bad) {
                    skipped++;
                    return lastLoss;
                }
            }
            Scope step = Scope.open();
            try {
                double value = trainOn(examples);
                step.close();
                return lastLoss = value;
            } catch (IllegalArgumentException bad) {                 // logged and skipped; step.close() never ran
                skipped++;
                leakedScopes.add(step);
                return lastLoss;
            }
        }

        private double trainOn(Examples examples) {
            Batch b = examples.toBatch();
            Tensor loss = model.loss(b.inputs(), b.targets());       // a bad target throws here, after the forward
            double value = loss.item();
            loss.backward();
            adam.step();
            adam.zeroGrad(true);
            return value;
        }

        /** Batches a loop skipped (bug 6). */
        public int skipped() {
            return skipped;
        }

        public Gpt model() {
            return model;
        }

        public AdamW optimizer() {
            return adam;
        }

        /** Frees everything, the leaks included — what the end of the process would do. */
        @Override
        public void close() {
            for (int i = leakedScopes.size() - 1; i >= 0; i--) leakedScopes.get(i).close();
            if (evaluation != null) evaluation.close();
            for (Tensor t : kept) if (t.storage() != null) t.storage().free();
            if (total != null && total.storage() != null) total.storage().free();
            adam.close();
            model.close();
        }
    }
}
