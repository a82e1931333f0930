package org.memlean.exercises.ch08;

import java.util.ArrayList;
import java.util.List;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Tensor;

/**
 * Chapter 8 exercises: two loops that work — they train, they score — and leak. Find the bug in each
 * and fix it; the grader runs them through the leak detector (growth 0 to the byte) and checks that
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
     * Task 8.2: trains {@code steps} steps on batches of {@code batch} from {@code task} and returns the
     * share of target tokens the model predicted right, each batch scored before its update. It
     * trains, and its accuracy is right. It leaks. No hint this time: run it under the leak
     * detector — {@code LeakCheck.run(1, 5, i -> trainWithAccuracy(model, adam, task, 8, 1))
     * .assertNoLeak("mine")}, or just grade it — and read the report: the categories that grow, by how
     * much a step, and the labels of the buffers never released.
     */
    public static double trainWithAccuracy(Gpt model, Optimizer optimizer, ReversalTask task, int batch, int steps) {
        long right = 0;
        long total = 0;
        for (int i = 0; i < steps; i++) {
            Batch b = task.next(batch);
            Tensor logits = model.forward(b.inputs());                      // (B, T, V): to score the batch
            right += correct(logits, b.targets());
            total += b.targets().length();
            try (Scope step = Scope.open()) {
                Tensor loss = model.loss(b.inputs(), b.targets());
                loss.backward();
                optimizer.step();
                optimizer.zeroGrad(true);
            }
        }
        return (double) right / total;
    }

    /** Target tokens whose largest logit is the target, for the last N positions of (B, T, V) logits. */
    static long correct(Tensor logits, Tensor targets) {
        long t = logits.size(1);
        long n = targets.size(1);
        int v = (int) logits.size(2);
        float[] l = logits.toFloatArray();
        float[] want = targets.toFloatArray();
        long right = 0;
        for (int row = 0; row < want.length; row++) {
            long bIndex = row / n;
            long position = t - n + row % n;
            int base = (int) ((bIndex * t + position) * v);
            int best = 0;
            for (int k = 1; k < v; k++) if (l[base + k] > l[base + best]) best = k;
            if (best == (int) want[row]) right++;
        }
        return right;
    }
}
