package org.memlean.ch05;

import java.util.List;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): one momentum buffer and
 * a sign update.
 * <pre>
 * c = β1·m + (1 − β1)·g;   p ← p·(1 − lr·λ) − lr·sign(c);   m ← β2·m + (1 − β2)·g
 * </pre>
 * After the decoupled decay, an element moves by exactly lr where c ≠ 0 and not at all where c = 0
 * (sign(0) = 0); with λ > 0 the decay moves every element by lr·λ·|p| besides.
 * State: one buffer the size of the parameter (exp_avg): half of AdamW's.
 */
public final class Lion extends Optimizer {
    private final double lr;
    private final double beta1;
    private final double beta2;
    private final double weightDecay;

    public Lion(List<Tensor> parameters, double lr, double beta1, double beta2, double weightDecay) {
        super(parameters);
        if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("Lion needs lr > 0, betas in [0, 1), weightDecay ≥ 0; got lr=" + lr
                    + ", betas=(" + beta1 + ", " + beta2 + "), weightDecay=" + weightDecay);
        }
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.weightDecay = weightDecay;
    }

    /** The paper's defaults: betas (0.9, 0.99); lr 3–10× smaller than AdamW's. */
    public Lion(List<Tensor> parameters, double lr) {
        this(parameters, lr, 0.9, 0.99, 0.0);
    }

    /** Bytes of state for a parameter of {@code elements} elements stored with {@code width} bytes each. */
    public static long stateBytes(long elements, int width) {
        return elements * width;
    }

    @Override
    protected void initState(Tensor p) {
        addState(p, "exp_avg", p.dtype(), p.shape());
    }

    /** The interpolation c and a scratch; compute copies of p, g, m for low-precision parameters. */
    @Override
    protected List<String> scratch(Tensor p) {
        return scratch(p, List.of("c", "scratch"), "p", "g", "m");
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        Tensor mState = state(p, "exp_avg");
        INDArray c = w.get("c");
        INDArray scratch = w.get("scratch");
        INDArray pc = w.compute("p", p);
        INDArray gc = w.compute("g", g);
        INDArray m = w.compute("m", mState);
        Kernels.scale(m, beta1, c);
        Kernels.scale(gc, 1 - beta1, scratch);
        Kernels.add(c, scratch, c);                          // c = β1·m + (1 − β1)·g
        Kernels.sign(c, c);
        if (weightDecay > 0) Kernels.scale(pc, 1 - lr * weightDecay, pc);
        Kernels.scale(c, lr, c);
        Kernels.sub(pc, c, pc);                              // p − lr·sign(c)
        Kernels.scale(m, beta2, m);
        Kernels.scale(gc, 1 - beta2, scratch);
        Kernels.add(m, scratch, m);                          // m = β2·m + (1 − β2)·g
        w.store(p, pc);
        w.store(mState, m);
    }
}
