package org.memlean.exercises.ch05;

import java.util.List;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A correct Task 5.1 beside a hostile BlockQuantiser. */
public final class FactoredRms extends Optimizer {
    private final double lr;
    private final double beta2;
    private final double eps;

    public FactoredRms(List<Tensor> parameters, double lr, double beta2, double eps) {
        super(parameters);
        this.lr = lr;
        this.beta2 = beta2;
        this.eps = eps;
    }

    @Override
    protected void initState(Tensor p) {
        if (p.rank() == 2) {
            addState(p, "row", DataType.FLOAT, p.size(0));
            addState(p, "col", DataType.FLOAT, p.size(1));
        } else {
            addState(p, "v", DataType.FLOAT, p.shape());
        }
    }

    /** G (then the step), V̂, and the row or column sums and ΣR in a small one. */
    @Override
    protected List<String> scratch(Tensor p) {
        return List.of("G", "vHat", "sums");
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        INDArray grad = g.array();
        INDArray squared = w.get("G");
        INDArray vHat = w.get("vHat");
        Kernels.mul(grad, grad, squared);                                     // G = g²
        if (p.rank() == 2) {
            long rows = p.size(0);
            long cols = p.size(1);
            INDArray r = state(p, "row").array();
            INDArray c = state(p, "col").array();
            INDArray sums = w.get("sums", rows);
            Kernels.sum(squared, false, new int[] {1}, sums);
            decay(r, sums);                                                   // R ← β2·R + (1 − β2)·rowsum(G)
            sums = w.get("sums", cols);
            Kernels.sum(squared, false, new int[] {0}, sums);
            decay(c, sums);                                                   // C ← β2·C + (1 − β2)·colsum(G)
            INDArray total = w.get("sums", 1);
            Kernels.sum(r, false, new int[0], total.reshape('c', new long[0]));
            Kernels.mul(r.reshape('c', rows, 1), c.reshape('c', 1, cols), vHat);   // R·Cᵀ
            Kernels.scale(vHat, 1 / total.getDouble(0), vHat);                // / ΣR
        } else {
            INDArray v = state(p, "v").array();
            decay(v, squared);
            Kernels.assign(vHat, v);
        }
        Kernels.sqrt(vHat, vHat);
        Kernels.addScalar(vHat, eps, vHat);
        Kernels.div(grad, vHat, squared);
        Kernels.scale(squared, lr, squared);
        Kernels.sub(p.array(), squared, p.array());                          // p ← p − lr·g/(√V̂ + ε)
    }

    /** state ← β2·state + (1 − β2)·fresh (fresh is overwritten). */
    private void decay(INDArray state, INDArray fresh) {
        Kernels.scale(state, beta2, state);
        Kernels.scale(fresh, 1 - beta2, fresh);
        Kernels.add(state, fresh, state);
    }
}
