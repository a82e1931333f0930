package org.memlean.lab;

import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Tensor;

/** The plain training step every chapter starts from, and its loop. */
public final class Training {
    private Training() {}

    /**
     * One step on a fresh batch: forward, backward, optimizer step, gradients freed. Runs in a
     * scope, so everything but parameters and optimizer state is released when it returns.
     *
     * @return the loss before the update
     */
    public static double step(Gpt model, Optimizer optimizer, ReversalTask task, int batchSize) {
        try (Scope step = Scope.open()) {
            return step(model, optimizer, task.next(batchSize));
        }
    }

    /**
     * One step on {@code batch}, which it closes: forward, backward, optimizer step, gradients freed,
     * in a scope. A step that fails (out of memory in backward, say) leaves no gradients behind to be
     * added into the next one; the optimizer's step is all or nothing, so parameters and state are as
     * before it.
     */
    public static double step(Gpt model, Optimizer optimizer, Batch batch) {
        MemoryMeter meter = MemoryMeter.current();
        try (Scope step = Scope.open()) {
            meter.mark("forward");
            Tensor loss = model.loss(batch.inputs(), batch.targets());
            double value = loss.item();
            loss.backward();
            meter.mark("optimizer");
            optimizer.step();
            optimizer.zeroGrad(true);
            meter.mark("step done");
            checkFinite(value, model, optimizer);
            return value;
        } catch (RuntimeException e) {
            optimizer.zeroGrad(true);
            throw e;
        } finally {
            batch.close();
        }
    }

    /**
     * Says once per optimizer that training diverged — at which step, and the first parameter that
     * is no longer finite — when a step's loss is NaN or infinite. Costs nothing while the loss is finite.
     */
    public static void checkFinite(double loss, org.memlean.nn.Module model, Optimizer optimizer) {
        if (Double.isFinite(loss)) return;
        String first = null;
        int bad = 0;
        for (java.util.Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            for (float v : e.getValue().toFloatArray()) {
                if (!Float.isFinite(v)) {
                    if (first == null) first = e.getKey();
                    bad++;
                    break;
                }
            }
        }
        Warnings.once(optimizer, "diverged", String.format(java.util.Locale.ROOT,
                "training diverged at step %d: the loss is %s; %s. Lower the learning rate, or clip the gradients",
                optimizer.steps(), Double.isNaN(loss) ? "NaN" : "infinite",
                first == null ? "every parameter is still finite"
                        : "parameter '" + first + "' is not finite (" + bad + " of " + model.namedParameters().size()
                        + " parameter tensors are not)"));
    }
}
