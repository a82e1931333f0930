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
     * G (then U); V̂ (before it, the column sums; after it, scratch); the row sums (then a scalar);
     * compute copies of p and g for low-precision parameters. Three buffers of the parameter's size,
     * for a FLOAT parameter.
     */
    @Override
    protected int workspaceSlots(Tensor p) {
        return p.dtype() == org.memlean.tensor.Compute.of(p.dtype()) ? 3 : 5;
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        double t = steps;
        double rho = Math.min(maxRelativeStep, 1 / Math.sqrt(t));
        double beta2 = 1 - Math.pow(t, -0.8);
        INDArray gc = w.in(3, g);
        INDArray pc = w.in(4, p);
        INDArray u = w.slot(0);
        INDArray v = w.slot(1);
        INDArray scalar = w.slot(2, 1);
        Kernels.mul(gc, gc, u);
        Kernels.addScalar(u, EPS1, u);                                       // G = g² + ε1
        if (p.rank() == 2) {
            long rows = p.size(0);
            long cols = p.size(1);
            INDArray r = state(p, "exp_avg_sq_row").array();
            INDArray c = state(p, "exp_avg_sq_col").array();
            INDArray rowSums = w.slot(2, rows);
            INDArray colSums = w.slot(1, cols);
            Kernels.sum(u, false, new int[] {1}, rowSums);
            Kernels.sum(u, false, new int[] {0}, colSums);
            decay(r, rowSums, beta2);
            decay(c, colSums, beta2);
            Kernels.sum(r, false, new int[0], scalar.reshape('c', new long[0]));
            double total = scalar.getDouble(0);
            Kernels.mul(r.reshape('c', rows, 1), c.reshape('c', 1, cols), v);   // R·Cᵀ
            Kernels.scale(v, 1 / total, v);                                      // V̂ = R·Cᵀ / ΣR
        } else {
            INDArray full = state(p, "exp_avg_sq").array();
            decay(full, u, beta2);
            Kernels.assign(v, full);
        }
        Kernels.sqrt(v, v);
        Kernels.div(gc, v, u);                                                   // U = g / √V̂
        double rmsU = rms(u, v, scalar);
        double rmsP = rms(pc, v, scalar);
        double step = Math.max(EPS2, rmsP) * rho / Math.max(1, rmsU / CLIP);
        Kernels.scale(u, step, u);
        Kernels.sub(pc, u, pc);
        w.out(p, pc);
    }

    /** state ← β·state + (1 − β)·fresh (fresh is overwritten). */
    private static void decay(INDArray state, INDArray fresh, double beta) {
        Kernels.scale(state, beta, state);
        Kernels.scale(fresh, 1 - beta, fresh);
        Kernels.add(state, fresh, state);
    }

    /** √(mean(x²)), read back to Java (scratch of x's size and a one-element slot). */
    private static double rms(INDArray x, INDArray scratch, INDArray scalar) {
        Kernels.mul(x, x, scratch);
        Kernels.mean(scratch, false, new int[0], scalar.reshape('c', new long[0]));
        return Math.sqrt(scalar.getDouble(0));
    }
}
