package org.memlean.ch01;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.memlean.data.Batch;
import org.memlean.lab.Training;
import org.memlean.lab.Training.Update;
import org.memlean.nn.Gpt;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Tensor;

/**
 * Gradient accumulation（梯度累积）: n small forward/backward passes, one optimizer step. The model
 * never sees more than one micro-batch at a time, so only one micro-batch's activations are ever
 * saved — the activation peak falls about n× — while the update is the big batch's update.
 *
 * <p>The article's loop, in this framework:
 * <pre>{@code
 * for (int i = 0; i < batches.size(); i++) {
 *     Tensor loss = model.loss(inputs, targets).mul(1.0 / n);   // mean over n micro-batches
 *     loss.backward();                                          // gradients add up in p.grad
 *     if ((i + 1) % n == 0) { optimizer.step(); optimizer.zeroGrad(true); }
 * }
 * }</pre>
 * Two details the article's loop leaves out, handled here:
 * <ul>
 *   <li><b>The weight of a micro-batch is its share of the window's tokens.</b> The loss is a mean
 *       over tokens, so a micro-batch of k tokens out of K in the window gets weight k/K; with
 *       equal micro-batches that is the familiar 1/n, with unequal ones (the last batch of a data
 *       set, variable-length sequences) 1/n is wrong.</li>
 *   <li><b>The last window of an epoch may be short.</b> With 10 micro-batches and n = 4 the last
 *       window has 2; it is stepped anyway, weighted over its own 2 (not divided by 4).</li>
 * </ul>
 */
public final class GradientAccumulation {
    private GradientAccumulation() {}

    /**
     * One optimizer step over n equal micro-batches drawn lazily from {@code data} — each one made,
     * used and freed inside its own scope, as a data loader would yield it. Weight 1/n each.
     *
     * @return the window's mean loss
     */
    public static double step(Gpt model, Optimizer optimizer, Supplier<Batch> data, int microBatches) {
        if (microBatches < 1) throw new IllegalArgumentException("accumulation needs n ≥ 1, got " + microBatches);
        long[] firstTokens = {-1};
        return Training.step(model, Update.of(optimizer), microBatches, i -> {
            Batch b = data.get();                                   // made in the micro-batch's scope: freed with it
            long tokens = b.targets().length();
            if (firstTokens[0] >= 0 && tokens != firstTokens[0]) {
                throw new IllegalArgumentException("micro-batch " + i + " has " + tokens + " target tokens, the first had "
                        + firstTokens[0] + ": 1/n weights need equal micro-batches; use epoch(…), which weights by tokens");
            }
            firstTokens[0] = tokens;
            return model.loss(b.inputs(), b.targets()).then(loss -> loss.mul(1.0 / microBatches));
        });
    }

    /**
     * An epoch over {@code batches} with an optimizer step every {@code n} micro-batches, the last
     * (possibly shorter) window included.
     *
     * @return the loss of each optimizer step
     */
    public static List<Double> epoch(Gpt model, Optimizer optimizer, List<Batch> batches, int n) {
        if (n < 1) throw new IllegalArgumentException("accumulation needs n ≥ 1, got " + n);
        List<Double> losses = new ArrayList<>();
        for (int start = 0; start < batches.size(); start += n) {
            List<Batch> window = batches.subList(start, Math.min(start + n, batches.size()));
            losses.add(Training.step(model, Update.of(optimizer), window.size(), weightedLoss(model, window)));
        }
        return losses;
    }

    /**
     * Only the gradients of a window, accumulated in p.grad and kept there (no update): for comparing
     * them with one big batch's.
     *
     * @return the window's mean loss (what one big batch would have reported)
     */
    public static double accumulate(Gpt model, List<Batch> window) {
        return Training.step(model, GRADIENTS_ONLY, window.size(), weightedLoss(model, window));
    }

    /**
     * Micro-batch i's loss weighted by its share of the window's tokens, so the accumulated gradient
     * is the whole window's mean-loss gradient.
     */
    private static IntFunction<Tensor> weightedLoss(Gpt model, List<Batch> window) {
        if (window.isEmpty()) throw new IllegalArgumentException("a window needs at least one micro-batch");
        long windowTokens = 0;
        for (Batch b : window) windowTokens += b.targets().length();
        long total = windowTokens;
        return i -> {
            Batch b = window.get(i);
            double weight = (double) b.targets().length() / total;     // 1/n for equal micro-batches
            return model.loss(b.inputs(), b.targets()).then(loss -> loss.mul(weight));
        };
    }

    /** Backward only: the gradients stay where backward put them. */
    private static final Update GRADIENTS_ONLY = new Update() {
        @Override
        public void apply() {}

        @Override
        public void clearGradients() {}
    };
}
