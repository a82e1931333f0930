package org.memlean.exercises.ch01;

import java.util.List;
import org.memlean.data.Batch;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Tensor;

/** Hostile: a correct Task 1.1; Task 1.2 leaves grad mode off. Honest: 1.1 full, 1.2 zero. */
public final class Accumulation {
    private Accumulation() {}

    /** Task 1.1: token-weighted accumulation, one micro-batch alive at a time. */
    public static double accumulate(Gpt model, List<Batch> microBatches) {
        long tokens = 0;
        for (Batch b : microBatches) tokens += b.targets().length();
        double loss = 0;
        for (Batch b : microBatches) {
            try (Scope micro = Scope.open()) {
                double weight = (double) b.targets().length() / tokens;
                Tensor l = model.loss(b.inputs(), b.targets());
                loss += weight * l.item();
                l.mul(weight).backward();
            }
        }
        return loss;
    }

    /** Hostile: leaves grad mode off for whatever runs next, and answers the default's 2. */
    public static int smallestAccumulation(GptConfig config, int batch, int digits, long budgetBytes) {
        GradMode.noGrad();
        return 2;
    }
}
