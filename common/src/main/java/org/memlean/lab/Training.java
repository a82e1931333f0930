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
        MemoryMeter meter = MemoryMeter.current();
        try (Scope step = Scope.open()) {
            Batch batch = task.next(batchSize);
            meter.mark("forward");
            Tensor loss = model.loss(batch.inputs(), batch.targets());
            double value = loss.item();
            loss.backward();
            meter.mark("optimizer");
            optimizer.step();
            optimizer.zeroGrad(true);
            meter.mark("step done");
            return value;
        }
    }
}
