package org.memlean.exercises.ch01;

import java.util.ArrayList;
import java.util.List;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Device;
import org.memlean.memory.DeviceBudget;
import org.memlean.memory.DeviceOutOfMemoryException;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Tensor;

/** Solutions of the chapter 1 exercises. */
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

    /** Task 1.2: try n = 1, 2, … under the budget; the first that completes a step wins. */
    public static int smallestAccumulation(GptConfig config, int batch, int digits, long budgetBytes) {
        for (int n = 1; n <= batch; n++) {
            if (batch % n != 0) continue;
            if (fits(config, batch, digits, budgetBytes, n)) return n;
        }
        return -1;
    }

    private static boolean fits(GptConfig config, int batch, int digits, long budgetBytes, int n) {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("probe n=" + n, false); Scope all = Scope.open();
             DeviceBudget device = DeviceBudget.of(budgetBytes)) {
            Gpt model = null;
            AdamW adam = null;
            try {
                model = new Gpt(config);
                adam = new AdamW(model.parameters(), 1e-3);
                ReversalTask task = new ReversalTask(digits, 1);
                List<Batch> micro = new ArrayList<>();
                for (int i = 0; i < n; i++) micro.add(task.next(batch / n));
                accumulate(model, micro);
                adam.step();
                return true;
            } catch (DeviceOutOfMemoryException e) {
                return false;
            } finally {
                if (adam != null) adam.close();
                if (model != null) model.close();
            }
        }
    }
}
