package org.memlean.optim;

import java.util.List;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * AdamW (Loshchilov and Hutter 2019): decoupled weight decay, then Adam (Kingma and Ba 2015) with
 * bias correction. Per parameter p with gradient g, at step t = 1, 2, …:
 * <pre>
 *   p ← p·(1 − lr·wd)                              decoupled weight decay
 *   m ← β1·m + (1 − β1)·g                          first moment (state "exp_avg")
 *   v ← β2·v + (1 − β2)·g²                         second moment (state "exp_avg_sq")
 *   p ← p − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
 * </pre>
 * State: m and v, each the parameter's size and dtype — 8 bytes per FLOAT parameter, twice the
 * parameters themselves (PyTorch's names for them, {@code exp_avg} and {@code exp_avg_sq}).
 *
 * <p>Two implementations of the same update. {@link #applyAsWritten} is the formula, one kernel a
 * line; {@link #apply} is the fast path — libnd4j's fused {@code adam_updater} does m, v and the
 * step in one pass over memory where the formula takes ten. Both fold the bias corrections into two
 * scalars, as Kingma and Ba's §2 suggests — α = lr·√(1 − β2ᵗ)/(1 − β1ᵗ) and ε̂ = ε·√(1 − β2ᵗ), so
 * that p ← p − α·m/(√v + ε̂) is PyTorch's line above multiplied through by √(1 − β2ᵗ) — and
 * compute every element with the same float operations in the same order, so they give the same
 * bits (a test checks it).
 */
public final class AdamW extends Optimizer {
    private final AdamSettings settings;
    private boolean fused = true;

    public AdamW(List<Tensor> parameters, AdamSettings settings) {
        super(parameters);
        this.settings = settings;
    }

    public AdamW(List<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(parameters, new AdamSettings(lr, beta1, beta2, eps, weightDecay));
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Tensor> parameters, double lr) {
        this(parameters, AdamSettings.defaults(lr));
    }

    public AdamSettings settings() {
        return settings;
    }

    /** Fast path (the default) or the formula line by line: the same bits, one scratch buffer more. */
    public AdamW fused(boolean on) {
        this.fused = on;
        return this;
    }

    @Override
    protected void initState(Tensor p) {
        addState(p, "exp_avg", p.dtype(), p.shape());       // m
        addState(p, "exp_avg_sq", p.dtype(), p.shape());    // v
    }

    /** The step's update (and the formula's denominator); compute copies of p, g, m, v for low-precision parameters. */
    @Override
    protected List<String> scratch(Tensor p) {
        return scratch(p, fused ? List.of("update") : List.of("update", "denominator"), "p", "g", "m", "v");
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        Tensor mState = state(p, "exp_avg");
        Tensor vState = state(p, "exp_avg_sq");
        INDArray param = w.compute("p", p);
        INDArray grad = w.compute("g", g);
        INDArray m = w.compute("m", mState);
        INDArray v = w.compute("v", vState);
        if (fused) {
            apply(param, grad, m, v, w.get("update"), settings, steps);
        } else {
            applyAsWritten(param, grad, m, v, w.get("update"), w.get("denominator"), settings, steps);
        }
        w.store(p, param);
        w.store(mState, m);
        w.store(vState, v);
    }

    /**
     * The update as written, one kernel a line, on arrays of one shape ({@code p}, {@code m},
     * {@code v} change in place; {@code update} and {@code denominator} are scratch). The element
     * operations are the fused kernel's, in its order, so the result is the same to the bit.
     */
    public static void applyAsWritten(INDArray p, INDArray g, INDArray m, INDArray v, INDArray update,
                                      INDArray denominator, AdamSettings s, long step) {
        Scalars c = Scalars.of(s, step);
        if (s.weightDecay() > 0) Kernels.scaleInPlace(p, 1 - s.lr() * s.weightDecay());   // p ← p·(1 − lr·wd)
        Kernels.scale(m, c.beta1, m);                                                     // m ← β1·m
        Kernels.scale(g, c.oneMinusBeta1, update);
        Kernels.add(m, update, m);                                                        //     + (1 − β1)·g
        Kernels.mul(g, g, update);
        Kernels.scale(update, c.oneMinusBeta2, update);
        Kernels.scale(v, c.beta2, v);                                                     // v ← β2·v
        Kernels.add(v, update, v);                                                        //     + (1 − β2)·g²
        Kernels.sqrt(v, denominator);
        Kernels.addScalar(denominator, c.epsHat, denominator);                            // √v + ε̂
        Kernels.scale(m, c.alpha, update);
        Kernels.div(update, denominator, update);                                         // α·m / (√v + ε̂)
        Kernels.sub(p, update, p);                                                        // p ← p − that
    }

    /**
     * The fast path of the same update, on arrays of one shape — whole parameters or any slices of
     * them (ZeRO updates a rank's shard this way, with the same kernels in the same order, so its
     * result is bit-identical). Three kernels: the decay (BLAS scal), libnd4j's fused
     * {@code adam_updater} (m, v and α·m/(√v + ε̂) in one pass) and the subtraction (BLAS axpy).
     * {@code p}, {@code m} and {@code v} change in place; {@code scratch} is overwritten.
     */
    public static void apply(INDArray p, INDArray g, INDArray m, INDArray v, INDArray scratch, AdamSettings s,
                             long step) {
        if (s.weightDecay() > 0) Kernels.scaleInPlace(p, 1 - s.lr() * s.weightDecay());
        moments(g, m, v, scratch, s, step);
        Kernels.sub(p, scratch, p);
    }

    /**
     * The fused kernel alone: m and v updated in place and {@code update} = α·m/(√v + ε̂), in one
     * pass. libnd4j computes α from lr itself (its t counts from 0, ours from 1) and adds the ε it is
     * given, so it is given ε̂.
     */
    public static void moments(INDArray g, INDArray m, INDArray v, INDArray update, AdamSettings s, long step) {
        Scalars c = Scalars.of(s, step);
        Kernels.adamUpdate(g, m, v, update, s.lr(), s.beta1(), s.beta2(), c.epsHat, (int) (step - 1));
    }

    /** The per-step scalars, in float as the fused kernel computes them (so both paths round alike). */
    private record Scalars(float beta1, float beta2, float oneMinusBeta1, float oneMinusBeta2, float alpha,
                           float epsHat) {
        static Scalars of(AdamSettings s, long step) {
            if (step < 1 || step > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("AdamW step must be 1 … 2³¹−1, got " + step);
            }
            float b1 = (float) s.beta1();
            float b2 = (float) s.beta2();
            float b1t = (float) Math.pow(b1, step);
            float b2t = (float) Math.pow(b2, step);
            float lrTimesRoot = (float) s.lr() * (float) Math.sqrt((float) (1.0 - b2t));
            float alpha = (float) (lrTimesRoot / (1.0 - b1t));                           // lr·√(1 − β2ᵗ)/(1 − β1ᵗ)
            float epsHat = (float) (s.eps() * Math.sqrt(1 - Math.pow(s.beta2(), step)));  // ε·√(1 − β2ᵗ)
            return new Scalars(b1, b2, 1f - b1, 1f - b2, alpha, epsHat);
        }
    }
}
