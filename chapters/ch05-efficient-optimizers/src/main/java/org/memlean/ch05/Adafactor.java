package org.memlean.ch05;

import java.util.List;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Adafactor (Shazeer and Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost"),
 * without first moment (the paper's default, β1 = 0). For a matrix of r × c it keeps, instead of
 * Adam's r·c second moments, their row sums R (r) and column sums C (c), and estimates the full
 * matrix by the rank-one V̂ = R·Cᵀ / ΣR — exact when the squared gradients are rank one. A vector
 * keeps its full second moment. The paper's relative step size and update clipping:
 * <pre>
 * ρ_t = min(10⁻², 1/√t);   β̂2_t = 1 − t^−0.8;   G = g² + ε1
 * R ← β̂2_t·R + (1 − β̂2_t)·rowsum(G);   C ← β̂2_t·C + (1 − β̂2_t)·colsum(G);   V̂ = R·Cᵀ / ΣR
 * U = g / √V̂;   Û = U / max(1, RMS(U)/d);   p ← p − max(ε2, RMS(p))·ρ_t·Û
 * </pre>
 * with ε1 = 10⁻³⁰, ε2 = 10⁻³, d = 1. State: 4·(r + c) bytes for a matrix, 4·n for a vector.
 */
public final class Adafactor extends Optimizer {
    private static final double EPS1 = 1e-30;
    private static final double EPS2 = 1e-3;
    private static final double CLIP = 1.0;

    private final double maxRelativeStep;

    /** The paper's defaults: relative step size min(10⁻², 1/√t). */
    public Adafactor(List<Tensor> parameters) {
        this(parameters, 1e-2);
    }

    /** With the relative step size capped at {@code maxRelativeStep} instead of the paper's 10⁻². */
    public Adafactor(List<Tensor> parameters, double maxRelativeStep) {
        super(parameters);
        if (!(maxRelativeStep > 0)) throw new IllegalArgumentException("the relative step must be > 0, got " + maxRelativeStep);
        this.maxRelativeStep = maxRelativeStep;
    }

    /** Bytes of state for a parameter of {@code shape}: row and column sums for a matrix, a full moment otherwise. */
    public static long stateBytes(long... shape) {
        if (shape.length == 2) return 4 * (shape[0] + shape[1]);
        long n = 1;
        for (long d : shape) n *= d;
        return 4 * n;
    }

    @Override
    protected void initState(Tensor p) {
        if (p.rank() == 2) {
            addState(p, "exp_avg_sq_row", DataType.FLOAT, p.size(0));
            addState(p, "exp_avg_sq_col", DataType.FLOAT, p.size(1));
        } else {
            addState(p, "exp_avg_sq", DataType.FLOAT, p.shape());
        }
    }

    /**
     * G and V̂, each of the parameter's size, and U — written over G, which it no longer needs
     * (a third buffer would cost the largest parameter's size again); one small buffer for the row
     * sums, the column sums and a scalar in turn; compute copies of p and g for low-precision
     * parameters.
     */
    @Override
    protected List<String> scratch(Tensor p) {
        return scratch(p, List.of("G, then U", "V̂", "sums"), "p", "g");
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        double t = steps;
        double rho = Math.min(maxRelativeStep, 1 / Math.sqrt(t));        // ρ_t
        double beta2 = 1 - Math.pow(t, -0.8);                             // β̂2_t
        INDArray grad = w.compute("g", g);
        INDArray param = w.compute("p", p);
        INDArray squared = w.get("G, then U");
        INDArray vHat = w.get("V̂");
        Kernels.mul(grad, grad, squared);
        Kernels.addScalar(squared, EPS1, squared);                        // G = g² + ε1
        if (p.rank() == 2) {
            long rows = p.size(0);
            long cols = p.size(1);
            INDArray r = state(p, "exp_avg_sq_row").array();               // R (r)
            INDArray c = state(p, "exp_avg_sq_col").array();               // C (c)
            INDArray rowSums = w.get("sums", rows);
            Kernels.sum(squared, false, new int[] {1}, rowSums);
            decay(r, rowSums, beta2);                                      // R ← β̂2·R + (1 − β̂2)·rowsum(G)
            INDArray colSums = w.get("sums", cols);
            Kernels.sum(squared, false, new int[] {0}, colSums);
            decay(c, colSums, beta2);                                      // C ← β̂2·C + (1 − β̂2)·colsum(G)
            Kernels.mul(r.reshape('c', rows, 1), c.reshape('c', 1, cols), vHat);   // R·Cᵀ
            Kernels.scale(vHat, 1 / sum(r, w), vHat);                      // V̂ = R·Cᵀ / ΣR
        } else {
            INDArray full = state(p, "exp_avg_sq").array();
            decay(full, squared, beta2);                                   // V ← β̂2·V + (1 − β̂2)·G
            Kernels.assign(vHat, full);
        }
        INDArray u = squared;                                              // G is no longer needed
        Kernels.sqrt(vHat, vHat);
        Kernels.div(grad, vHat, u);                                        // U = g / √V̂
        double rmsU = rms(u, vHat, w);
        double rmsP = rms(param, vHat, w);
        double step = Math.max(EPS2, rmsP) * rho / Math.max(1, rmsU / CLIP);   // max(ε2, RMS(p))·ρ_t / max(1, RMS(U)/d)
        Kernels.scale(u, step, u);
        Kernels.sub(param, u, param);                                      // p ← p − step·U
        w.store(p, param);
    }

    /** ΣR, read back to Java (one element of the small scratch). */
    private static double sum(INDArray x, Workspace w) {
        INDArray scalar = w.get("sums", 1);
        Kernels.sum(x, false, new int[0], scalar.reshape('c', new long[0]));
        return scalar.getDouble(0);
    }

    /** state ← β·state + (1 − β)·fresh (fresh is overwritten). */
    private static void decay(INDArray state, INDArray fresh, double beta) {
        Kernels.scale(state, beta, state);
        Kernels.scale(fresh, 1 - beta, fresh);
        Kernels.add(state, fresh, state);
    }

    /** √(mean(x²)), read back to Java (x² into {@code scratch} of x's size). */
    private static double rms(INDArray x, INDArray scratch, Workspace w) {
        Kernels.mul(x, x, scratch);
        INDArray scalar = w.get("sums", 1);
        Kernels.mean(scratch, false, new int[0], scalar.reshape('c', new long[0]));
        return Math.sqrt(scalar.getDouble(0));
    }
}
