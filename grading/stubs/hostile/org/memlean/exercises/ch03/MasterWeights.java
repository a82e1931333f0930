package org.memlean.exercises.ch03;

import java.util.ArrayList;
import java.util.List;
import org.memlean.memory.Category;
import org.memlean.optim.AdamW;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** A correct Task 3.1 beside a hostile Scaling: it must still score full marks. */
public final class MasterWeights implements AutoCloseable {
    private final List<Tensor> weights;    // float16 parameters
    private final List<Tensor> masters;    // float32 copies, OPTIMIZER_STATE
    private final AdamW adam;

    public MasterWeights(List<Tensor> halfWeights, double lr) {
        weights = List.copyOf(halfWeights);
        masters = new ArrayList<>();
        for (Tensor w : weights) {
            Tensor m = Tensor.zeros(DataType.FLOAT, Category.OPTIMIZER_STATE, w.shape()).requiresGrad(true);
            Kernels.assign(m.array(), w.array());
            masters.add(m);
        }
        adam = new AdamW(masters, lr, 0.9, 0.999, 1e-8, 0);
    }

    public boolean step(double scale) {
        List<Tensor> unscaled = new ArrayList<>();
        boolean overflow = false;
        try (GradMode.Guard off = GradMode.noGrad()) {
            for (Tensor w : weights) {
                if (w.grad() == null) {
                    unscaled.add(null);
                    continue;
                }
                Tensor g = Tensor.zeros(DataType.FLOAT, Category.TEMPORARY, w.shape());
                Kernels.assign(g.array(), w.grad().array());          // float16 → float32 first,
                Kernels.scale(g.array(), 1 / scale, g.array());       // then unscale: nothing new underflows
                Tensor sum = g.sum();
                overflow |= !Double.isFinite(sum.item());             // a sum is not finite iff an element is not
                sum.release();
                unscaled.add(g);
            }
        }
        if (!overflow) {
            for (int i = 0; i < masters.size(); i++) masters.get(i).setGrad(unscaled.get(i));
            adam.step();
            for (int i = 0; i < masters.size(); i++) {
                masters.get(i).setGrad(null);
                Kernels.assign(weights.get(i).array(), masters.get(i).array());   // round to float16
                weights.get(i).storage().bumpVersion();
            }
        } else {
            for (Tensor g : unscaled) if (g != null) g.release();
        }
        for (Tensor w : weights) w.zeroGrad(true);
        return !overflow;
    }

    @Override
    public void close() {
        adam.close();
        for (Tensor m : masters) m.storage().free();
    }
}
