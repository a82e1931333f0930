package org.memlean.optim;

import java.util.List;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SGD with momentum and (coupled, L2) weight decay, PyTorch's form:
 * g ← g + wd·p;  v ← μ·v + g;  p ← p − lr·v. State: one buffer per parameter (momentum_buffer) when
 * μ > 0, none otherwise.
 */
public final class Sgd extends Optimizer {
    private final double lr;
    private final double momentum;
    private final double weightDecay;

    public Sgd(List<Tensor> parameters, double lr, double momentum, double weightDecay) {
        super(parameters);
        if (!(lr > 0) || !(momentum >= 0 && momentum < 1) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("Sgd needs lr > 0, 0 ≤ momentum < 1, weightDecay ≥ 0; got lr=" + lr
                    + ", momentum=" + momentum + ", weightDecay=" + weightDecay);
        }
        this.lr = lr;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    @Override
    protected void initState(Tensor p) {
        if (momentum > 0) addState(p, "momentum_buffer", p.dtype(), p.shape());
    }

    /** The direction; compute copies of p, g and v for low-precision parameters. */
    @Override
    protected List<String> scratch(Tensor p) {
        return scratch(p, List.of("direction"), "p", "g", "v");
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        INDArray direction = w.get("direction");
        INDArray param = w.compute("p", p);
        INDArray grad = w.compute("g", g);
        if (weightDecay > 0) {
            Kernels.scale(param, weightDecay, direction);                    // g + wd·p
            Kernels.add(direction, grad, direction);
        } else {
            Kernels.assign(direction, grad);
        }
        if (momentum > 0) {
            Tensor vState = state(p, "momentum_buffer");
            INDArray v = w.compute("v", vState);
            Kernels.scale(v, momentum, v);                                   // v ← μ·v + g
            Kernels.add(v, direction, v);
            w.store(vState, v);
            Kernels.assign(direction, v);
        }
        Kernels.scale(direction, lr, direction);                             // p ← p − lr·v
        Kernels.sub(param, direction, param);
        w.store(p, param);
    }
}
