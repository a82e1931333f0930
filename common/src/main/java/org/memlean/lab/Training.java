package org.memlean.lab;

import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.Layer;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Tensor;

/**
 * The one training step of the course. Every chapter's step is this one, with what its technique
 * changes plugged in: what the loss is (autocast around the forward), how many micro-batches make
 * a step (accumulation), how backward starts (a loss scaler) and what the update does (master
 * weights, ZeRO's sharded optimizer).
 *
 * <pre>{@code
 * Training.step(model, optimizer, () -> model.loss(x, y));     // forward, backward, update, gradients freed
 * }</pre>
 */
public final class Training {
    private Training() {}

    /**
     * What a step does after forward. {@link #of(Optimizer)} is the plain one: backward from the
     * loss, {@code optimizer.step()}, gradients freed. A technique overrides what it changes.
     */
    public interface Update {
        /** Runs backward from a micro-batch's loss (a loss scaler multiplies it by its scale first). */
        default void backward(Tensor loss) {
            loss.backward();
        }

        /** Changes the parameters from their gradients (or skips the change, as on an overflow). */
        void apply();

        /** Frees every gradient: after {@link #apply}, and after a step that failed half-way. */
        void clearGradients();

        /** Updates applied so far (for messages), or −1 where the update does not count them. */
        default long stepsTaken() {
            return -1;
        }

        /** The plain update: the optimizer's step. */
        static Update of(Optimizer optimizer) {
            return new Update() {
                @Override
                public void apply() {
                    optimizer.step();
                }

                @Override
                public void clearGradients() {
                    optimizer.zeroGrad(true);
                }

                @Override
                public long stepsTaken() {
                    return optimizer.steps();
                }
            };
        }
    }

    /** One plain step: forward ({@code loss}), backward, the optimizer's update, gradients freed. */
    public static double step(Layer model, Optimizer optimizer, Supplier<Tensor> loss) {
        return step(model, Update.of(optimizer), 1, i -> loss.get());
    }

    /** One step with a technique's {@link Update}. */
    public static double step(Layer model, Update update, Supplier<Tensor> loss) {
        return step(model, update, 1, i -> loss.get());
    }

    /**
     * One step over {@code microBatches} forwards: for each, {@code microLoss.apply(i)} (already
     * weighted by its share of the step, 1/n for equal micro-batches) and its backward, in a scope of
     * its own so its activations are gone before the next begins; then the update, and the gradients
     * freed. Everything else the step allocated is freed when it returns.
     *
     * <p>A step that fails (out of memory in backward, say) leaves no gradients to be added into the
     * next one; the optimizer's own step is all or nothing, so parameters and state are as before.
     * A loss that is not finite is said once, with the first parameter that is not either.
     *
     * @return the step's loss: the sum of the micro-batches' weighted losses
     */
    public static double step(Layer model, Update update, int microBatches, IntFunction<Tensor> microLoss) {
        if (microBatches < 1) throw new IllegalArgumentException("a step needs at least one micro-batch, got " + microBatches);
        MemoryMeter meter = MemoryMeter.current();
        try (Scope step = Scope.open()) {
            double loss = 0;
            for (int i = 0; i < microBatches; i++) {
                // one micro-batch: the step's scope is its scope (its inputs live until the update)
                try (Scope micro = microBatches > 1 ? Scope.open() : null) {
                    meter.mark("forward");
                    Tensor l = microLoss.apply(i);
                    loss += l.item();
                    update.backward(l);
                }
            }
            meter.mark("optimizer");
            update.apply();
            update.clearGradients();
            meter.mark("step done");
            checkFinite(loss, model, update.stepsTaken());
            return loss;
        } catch (RuntimeException e) {
            update.clearGradients();
            throw e;
        }
    }

    /** One plain step of a GPT on a fresh batch of the reversal task. */
    public static double step(Gpt model, Optimizer optimizer, ReversalTask task, int batchSize) {
        return step(model, optimizer, () -> {
            Batch batch = task.next(batchSize);                      // made in the step's scope: freed with it
            return model.loss(batch.inputs(), batch.targets());
        });
    }

    /** One plain step of a GPT on {@code batch}, which it closes. */
    public static double step(Gpt model, Optimizer optimizer, Batch batch) {
        try (batch) {
            return step(model, optimizer, () -> model.loss(batch.inputs(), batch.targets()));
        }
    }

    /**
     * Says once per model that training diverged — at which step, and the first parameter that is
     * no longer finite — when a step's loss is NaN or infinite. Costs nothing while the loss is finite.
     */
    static void checkFinite(double loss, Layer model, long step) {
        if (Double.isFinite(loss)) return;
        String first = null;
        int bad = 0;
        Map<String, Tensor> parameters = model.namedParameters();
        for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
            for (float v : e.getValue().toFloatArray()) {
                if (!Float.isFinite(v)) {
                    if (first == null) first = e.getKey();
                    bad++;
                    break;
                }
            }
        }
        Warnings.once(model, "diverged", String.format(Locale.ROOT,
                "training diverged%s: the loss is %s; %s. Lower the learning rate, or clip the gradients",
                step < 0 ? "" : " at step " + step, Double.isNaN(loss) ? "NaN" : "infinite",
                first == null ? "every parameter is still finite"
                        : "parameter '" + first + "' is not finite (" + bad + " of " + parameters.size()
                        + " parameter tensors are not)"));
    }
}
