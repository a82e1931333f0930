package org.memlean.exercises.ch08;

import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.GradMode;
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

    /** Task 8.2: the step's scope holds the batch and the scoring too, and the scoring keeps no graph. */
    public static double trainWithAccuracy(Gpt model, Optimizer optimizer, ReversalTask task, int batch, int steps) {
        long right = 0;
        long total = 0;
        for (int i = 0; i < steps; i++) {
            try (Scope step = Scope.open()) {
                Batch b = task.next(batch);
                try (GradMode.Guard off = GradMode.noGrad()) {
                    Tensor logits = model.forward(b.inputs());
                    right += correct(logits, b.targets());
                }
                total += b.targets().length();
                Tensor loss = model.loss(b.inputs(), b.targets());
                loss.backward();
                optimizer.step();
                optimizer.zeroGrad(true);
            }
        }
        return (double) right / total;
    }

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
