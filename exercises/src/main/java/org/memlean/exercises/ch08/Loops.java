package org.memlean.exercises.ch08;

import java.util.ArrayList;
import java.util.List;
import org.memlean.data.Batch;
import org.memlean.data.Examples;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Losses;
import org.memlean.tensor.Tensor;

/**
 * Chapter 8 exercises: two loops that work — they train, they evaluate — and leak. Find the bug in
 * each and fix it; the grader runs them through the leak detector (growth 0 to the byte) and checks
 * they still do their job.
 */
public final class Loops {
    private Loops() {}

    /**
     * Task 8.1: trains {@code steps} steps on batches of {@code batch} from {@code task} and returns the
     * loss of each step (for a loss curve). It trains. It also grows by some bytes every step: find
     * out what it keeps, and keep only what the curve needs.
     */
    public static double[] train(Gpt model, Optimizer optimizer, ReversalTask task, int batch, int steps) {
        List<Tensor> losses = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            try (Scope step = Scope.open()) {
                Batch b = task.next(batch);
                Tensor loss = model.loss(b.inputs(), b.targets());
                loss.backward();
                optimizer.step();
                optimizer.zeroGrad(true);
                losses.add(loss);
                step.keep(loss.storage());          // the curve needs them after the step
            }
        }
        double[] curve = new double[steps];
        for (int i = 0; i < steps; i++) curve[i] = losses.get(i).item();
        return curve;
    }

    /**
     * Task 8.2: the mean loss of {@code model} over {@code batches}. Right answer; far too much
     * memory: a pass should hold the parameters and what is in flight, and no activations at all.
     * <p>Hint: what does a forward pass save when nobody will call backward? And what does the scope
     * around the loop keep until the end?
     */
    public static double evaluate(Gpt model, List<Examples> batches) {
        double sum = 0;
        model.eval();
        try (Scope evaluation = Scope.open()) {
            for (Examples e : batches) {
                Batch b = e.toBatch();
                Tensor logits = model.forward(b.inputs());
                long t = logits.size(1);
                long n = b.targets().size(1);
                sum += Losses.crossEntropy(logits.slice(1, t - n, n), b.targets()).item();
            }
        }
        model.train();
        return sum / batches.size();
    }
}
