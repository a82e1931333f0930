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

    /** One scratch buffer (the direction), plus compute copies of p, v and g for low-precision parameters. */
    @Override
    protected int workspaceSlots(Tensor p) {
        return p.dtype() == org.memlean.tensor.Compute.of(p.dtype()) ? 1 : 4;
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        INDArray direction = w.slot(0);
        INDArray pc = w.in(1, p);
        INDArray gc = w.in(3, g);
        if (weightDecay > 0) {
            Kernels.scale(pc, weightDecay, direction);   // wd·p
            Kernels.add(direction, gc, direction);       // g + wd·p
        } else {
            Kernels.assign(direction, gc);
        }
        if (momentum > 0) {
            Tensor v = state(p, "momentum_buffer");
            INDArray vc = w.in(2, v);
            Kernels.scale(vc, momentum, vc);
            Kernels.add(vc, direction, vc);
            w.out(v, vc);
            Kernels.assign(direction, vc);
        }
        Kernels.scale(direction, lr, direction);
        Kernels.sub(pc, direction, pc);
        w.out(p, pc);
    }
}
