package org.memlean.exercises.ch08;

import java.util.List;
import org.memlean.data.Batch;
import org.memlean.data.Examples;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Losses;
import org.memlean.tensor.Tensor;

/** Chapter 8 exercises, solved. */
public final class Loops {
    private Loops() {}

    /** The curve needs numbers, not tensors: {@code item()} inside the step, and nothing kept. */
    public static double[] train(Gpt model, Optimizer optimizer, ReversalTask task, int batch, int steps) {
        double[] curve = new double[steps];
        for (int i = 0; i < steps; i++) {
            try (Scope step = Scope.open()) {
                Batch b = task.next(batch);
                Tensor loss = model.loss(b.inputs(), b.targets());
                curve[i] = loss.item();
                loss.backward();
                optimizer.step();
                optimizer.zeroGrad(true);
            }
        }
        return curve;
    }

    /** No-grad (nothing saved) and a scope per batch (nothing kept past it). */
    public static double evaluate(Gpt model, List<Examples> batches) {
        double sum = 0;
        model.eval();
        try (GradMode.Guard noGrad = GradMode.noGrad()) {
            for (Examples e : batches) {
                try (Scope batch = Scope.open()) {
                    Batch b = e.toBatch();
                    Tensor logits = model.forward(b.inputs());
                    long t = logits.size(1);
                    long n = b.targets().size(1);
                    sum += Losses.crossEntropy(logits.slice(1, t - n, n), b.targets()).item();
                }
            }
        } finally {
            model.train();
        }
        return sum / batches.size();
    }
}
