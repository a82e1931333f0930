package org.memlean.tensor;

import java.util.Arrays;
import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.Storage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Masks: dropout (a random one) and the causal mask of a decoder's attention. */
public final class Masks {
    private Masks() {}

    /**
     * Zeroes each element with probability p and scales the rest by 1/(1−p) when {@code training};
     * otherwise a recorded identity. Saves the mask — here in the input's dtype, already scaled
     * (PyTorch keeps a 1-byte bool mask; ours costs the input's element size).
     */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        if (!training || p == 0) return Shapes.identity(x);
        Tensor mask = dropoutMask("dropout", x, p);
        Tensor out;
        try (GradMode.Guard ignored = GradMode.noGrad()) {
            out = Arithmetic.mul(x, mask);
        }
        if (Autograd.needsGrad(x)) new DropoutBackward().attach(out, x).save(mask);
        mask.release();
        return out;
    }

    /** Scores (…, T, T) with every key after its query (column j > row i) set to −∞. Saves nothing. */
    public static Tensor causalMask(Tensor scores) {
        long t = scores.size(-1);
        if (scores.rank() < 2 || scores.size(-2) != t) {
            throw new IllegalArgumentException("causalMask needs square (…, T, T) scores, got "
                    + Arrays.toString(scores.shape()));
        }
        Tensor out;
        Tensor bias = triangle(t, Float.NEGATIVE_INFINITY, 0f, Compute.of(scores.dtype()));   // (T, T)
        try (OpScope op = new OpScope("causalMask")) {
            INDArray o = op.out(scores.dtype(), scores.shape());
            Kernels.add(op.in(scores), bias.array(), o);
            out = op.result(o);
        } finally {
            bias.release();
        }
        if (Autograd.needsGrad(scores)) new CausalMaskBackward().attach(out, scores);
        return out;
    }

    /** A (T, T) TEMPORARY tensor: {@code above} where column > row, {@code onOrBelow} elsewhere. */
    static Tensor triangle(long t, float above, float onOrBelow, DataType dataType) {
        float[] data = new float[(int) (t * t)];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) data[(int) (i * t + j)] = j > i ? above : onOrBelow;
        }
        return Tensor.of(data, dataType, Category.TEMPORARY, t, t);
    }

    /**
     * The scaled keep mask of dropout, in x's dtype: 1/(1 − p) where a uniform draw is ≥ p, else 0.
     * Its scratch (the draws, a boolean mask, the threshold) lives only inside op {@code opName}.
     */
    static Tensor dropoutMask(String opName, Tensor x, double p) {
        try (OpScope op = new OpScope(opName)) {
            INDArray u = op.temp(DataType.FLOAT, x.shape());
            Rng.uniform(u);
            INDArray keep = op.temp(DataType.BOOL, x.shape());
            INDArray threshold = op.temp(DataType.FLOAT);
            Kernels.fill(threshold, p);
            Kernels.custom("greater_equal", new INDArray[] {u, threshold}, keep);
            INDArray m = op.out(x.dtype(), x.shape());
            Kernels.assign(m, keep);
            Kernels.scale(m, 1 / (1 - p), m);
            return op.result(m);
        }
    }

    static final class DropoutBackward extends AutogradFunction {
        @Override
        public String name() {
            return "Dropout";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {Arithmetic.mul(g, saved(0))};
        }
    }

    static final class CausalMaskBackward extends AutogradFunction {
        @Override
        public String name() {
            return "CausalMask";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            long t = g.size(-1);
            Tensor allowed = triangle(t, 0f, 1f, g.dtype());
            Tensor out = Arithmetic.mul(g, allowed);
            allowed.release();
            return new Tensor[] {out};
        }
    }
}
