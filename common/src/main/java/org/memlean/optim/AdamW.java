package org.memlean.optim;

import java.util.List;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * AdamW (Loshchilov and Hutter): decoupled weight decay, then Adam with bias correction.
 * p ← p·(1 − lr·wd);  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
 * p ← p − lr · (m / (1 − β1ᵗ)) / (sqrt(v / (1 − β2ᵗ)) + ε).
 * State: two buffers per parameter (exp_avg m, exp_avg_sq v, PyTorch's names) of the parameter's
 * dtype — 8 bytes per FLOAT parameter, twice the parameters themselves.
 */
public final class AdamW extends Optimizer {
    private final double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;

    public AdamW(List<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(parameters);
        requireValid("AdamW", lr, beta1, beta2, eps, weightDecay);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** Refuses hyperparameters no Adam-family optimizer can use, naming {@code optimizer} and each value. */
    public static void requireValid(String optimizer, double lr, double beta1, double beta2, double eps,
                                    double weightDecay) {
        if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException(optimizer + " needs lr > 0, betas in [0, 1), eps > 0, weightDecay ≥ 0; got lr="
                    + lr + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps + ", weightDecay=" + weightDecay);
        }
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Tensor> parameters, double lr) {
        this(parameters, lr, 0.9, 0.999, 1e-8, 0.01);
    }

    @Override
    protected void initState(Tensor p) {
        addState(p, "exp_avg", p.dtype(), p.shape());
        addState(p, "exp_avg_sq", p.dtype(), p.shape());
    }

    /** One scratch buffer; four more (compute copies of p, g, m, v) for low-precision parameters. */
    @Override
    protected int workspaceSlots(Tensor p) {
        return p.dtype() == org.memlean.tensor.Compute.of(p.dtype()) ? 1 : 5;
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        Tensor mState = state(p, "exp_avg");
        Tensor vState = state(p, "exp_avg_sq");
        INDArray scratch = w.slot(0);
        INDArray pc = w.in(1, p);
        INDArray gc = w.in(2, g);
        INDArray m = w.in(3, mState);
        INDArray v = w.in(4, vState);
        apply(pc, gc, m, v, scratch, lr, beta1, beta2, eps, weightDecay, steps);
        w.out(p, pc);
        w.out(mState, m);
        w.out(vState, v);
    }

    /**
     * The arithmetic of update {@code step} (1, 2, …) on arrays of one shape — whole parameters or
     * any slices of them (ZeRO updates a rank's shard this way, with the same kernels in the same
     * order, so its result is bit-identical). {@code p}, {@code m} and {@code v} change in place;
     * {@code scratch} is overwritten.
     *
     * <p>Three kernels: the decay (BLAS scal), libnd4j's fused {@code adam_updater} (m, v and the
     * step in one pass, where a chain of elementwise kernels takes twelve) and the subtraction (BLAS
     * axpy). libnd4j folds
     * the bias corrections into the step size — lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + ε′) — so to get
     * PyTorch's lr/(1 − β1ᵗ) · m / (√(v/(1 − β2ᵗ)) + ε) it is given ε′ = ε·√(1 − β2ᵗ): the same
     * quotient multiplied above and below by √(1 − β2ᵗ). (Its t counts from 0, ours from 1.)
     */
    public static void apply(INDArray p, INDArray g, INDArray m, INDArray v, INDArray scratch, double lr, double beta1,
                             double beta2, double eps, double weightDecay, long step) {
        if (step < 1 || step > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("AdamW step must be 1 … 2³¹−1, got " + step);
        }
        double correction2 = 1 - Math.pow(beta2, step);
        if (weightDecay > 0) Kernels.scaleInPlace(p, 1 - lr * weightDecay);
        Kernels.adamUpdate(g, m, v, scratch, lr, beta1, beta2, eps * Math.sqrt(correction2), (int) (step - 1));
        Kernels.sub(p, scratch, p);                               // p − lr · m̂ / (√v̂ + ε)
    }
}
