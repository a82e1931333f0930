package org.memlean.optim;

import java.util.List;
import org.memlean.tensor.OpScope;
import org.memlean.tensor.Raw;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SGD with momentum and (coupled, L2) weight decay, PyTorch's form:
 * g ← g + wd·p;  v ← μ·v + g;  p ← p − lr·v. State: one buffer per parameter when μ > 0, none otherwise.
 */
public final class Sgd extends Optimizer {
    private final double lr;
    private final double momentum;
    private final double weightDecay;

    public Sgd(List<Tensor> parameters, double lr, double momentum, double weightDecay) {
        super(parameters);
        if (lr <= 0 || momentum < 0 || momentum >= 1 || weightDecay < 0) {
            throw new IllegalArgumentException("Sgd needs lr > 0, 0 ≤ momentum < 1, weightDecay ≥ 0; got lr=" + lr
                    + ", momentum=" + momentum + ", weightDecay=" + weightDecay);
        }
        this.lr = lr;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    @Override
    protected void update(Tensor p, Tensor g) {
        try (OpScope op = new OpScope("sgd")) {
            INDArray pc = op.in(p);
            INDArray direction = op.temp(pc.dataType(), p.shape());
            Raw.assign(direction, op.in(g));
            if (weightDecay > 0) {
                INDArray decay = op.temp(pc.dataType(), p.shape());
                Raw.scale(pc, weightDecay, decay);
                Raw.add(direction, decay, direction);
            }
            if (momentum > 0) {
                Tensor v = state(p, 1)[0];
                INDArray vc = op.in(v);
                Raw.scale(vc, momentum, vc);
                Raw.add(vc, direction, vc);
                if (vc != v.array()) Raw.assign(v.array(), vc);
                Raw.assign(direction, vc);
            }
            Raw.scale(direction, lr, direction);
            Raw.sub(pc, direction, pc);
            if (pc != p.array()) Raw.assign(p.array(), pc);
        }
    }
}
