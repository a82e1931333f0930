package org.memlean.tensor;

import java.util.Arrays;
import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.Storage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Matrix multiplication: batched, or any-rank input times a 2-D weight. */
public final class LinearAlgebra {
    private LinearAlgebra() {}

    /**
     * {@code op(a) @ op(b)}, where op transposes the last two axes when asked. Two forms:
     * <ul>
     *   <li>{@code a} of rank r ≥ 2 and {@code b} of rank 2 — e.g. (B, T, C) @ (C, N) → (B, T, N): the
     *       leading axes of {@code a} are folded into one row axis, one GEMM does it all;</li>
     *   <li>{@code a} and {@code b} of equal rank ≥ 3 with equal leading (batch) axes — e.g.
     *       (B, H, T, D) @ (B, H, D, T) → (B, H, T, T).</li>
     * </ul>
     * Each input is saved only if the other one's gradient needs it — as PyTorch does: the product with
     * a frozen weight does not keep its input (a parameter saved costs nothing extra: it is
     * PARAMETER memory, kept by reference).
     * The result is written by {@code Nd4j.matmul} into a buffer we allocate: {@code INDArray.mmul}
     * would allocate the result twice.
     */
    public static Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        if (Autocast.target("matmul") != null) return Autocast.apply("matmul", in -> matmul(in[0], in[1], transA, transB), a, b);
        long[] outShape = outputShape(a.shape(), b.shape(), transA, transB);
        DataType storage = Compute.promote(a.dtype(), b.dtype());
        DataType compute = Compute.of(storage);
        Tensor out;
        try (OpScope op = new OpScope("matmul")) {
            INDArray o = op.out(storage, outShape);
            INDArray ac = op.in(a, compute);
            INDArray bc = op.in(b, compute);
            if (b.rank() == 2 && a.rank() > 2) {
                long k = a.size(-1);
                INDArray a2 = ac.reshape('c', new long[] {ac.length() / k, k});                 // (B*T, C): a view
                INDArray o2 = o.reshape('c', new long[] {o.length() / outShape[outShape.length - 1], outShape[outShape.length - 1]});
                Kernels.matmul(a2, bc, o2, false, transB);
            } else {
                Kernels.matmul(ac, bc, o, transA, transB);
            }
            out = op.result(o);
        }
        if (Autograd.needsGrad(a, b)) {
            // dA needs B and dB needs A: keep only what a needed gradient reads
            MatMulBackward fn = new MatMulBackward(transA, transB);
            fn.attach(out, a, b);
            if (b.requiresGrad()) fn.aIndex = fn.saveOne(a);
            if (a.requiresGrad()) fn.bIndex = fn.saveOne(b);
        }
        return out;
    }

    /**
     * A linear layer, x (…, in) · W (in, out) + b (out): one op for autocast (PyTorch's F.linear),
     * so under autocast the product, the bias add and the result are all in the low type.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (Autocast.target("linear") != null) {
            return bias == null ? Autocast.apply("linear", in -> linear(in[0], in[1], null), x, weight)
                    : Autocast.apply("linear", in -> linear(in[0], in[1], in[2]), x, weight, bias);
        }
        Tensor y = matmul(x, weight, false, false);        // (…, out)
        if (bias == null) return y;
        Tensor out = Arithmetic.add(y, bias);              // the add saves nothing, so y is transient
        y.release();
        return out;
    }

    static long[] outputShape(long[] a, long[] b, boolean transA, boolean transB) {
        String what = "matmul of " + Arrays.toString(a) + (transA ? "ᵀ" : "") + " and " + Arrays.toString(b)
                + (transB ? "ᵀ" : "");
        if (a.length < 2 || b.length < 2) throw new IllegalArgumentException(what + ": both need rank 2 or more");
        long bRows = transB ? b[b.length - 1] : b[b.length - 2];
        long bCols = transB ? b[b.length - 2] : b[b.length - 1];
        if (b.length == 2 && a.length > 2) {
            if (transA) throw new IllegalArgumentException(what + ": transA needs equal ranks");
            if (a[a.length - 1] != bRows) {
                throw new IllegalArgumentException(what + ": inner dimensions differ (" + a[a.length - 1] + " vs "
                        + bRows + ")");
            }
            long[] out = a.clone();
            out[out.length - 1] = bCols;
            return out;
        }
        if (a.length != b.length) {
            throw new IllegalArgumentException(what + ": ranks differ (" + a.length + " vs " + b.length
                    + "); batch axes must match exactly, or b must be 2-D");
        }
        for (int i = 0; i < a.length - 2; i++) {
            if (a[i] != b[i]) {
                throw new IllegalArgumentException(what + ": batch axis " + i + " differs (" + a[i] + " vs " + b[i] + ")");
            }
        }
        long aRows = transA ? a[a.length - 1] : a[a.length - 2];
        long aCols = transA ? a[a.length - 2] : a[a.length - 1];
        if (aCols != bRows) {
            throw new IllegalArgumentException(what + ": inner dimensions differ (" + aCols + " vs " + bRows + ")");
        }
        long[] out = a.clone();
        out[out.length - 2] = aRows;
        out[out.length - 1] = bCols;
        return out;
    }

    static final class MatMulBackward extends AutogradFunction {
        private final boolean transA;
        private final boolean transB;
        private int aIndex = -1;
        private int bIndex = -1;
        private int count;

        MatMulBackward(boolean transA, boolean transB) {
            this.transA = transA;
            this.transB = transB;
        }

        int saveOne(Tensor t) {
            save(t);
            return count++;
        }

        @Override
        public String name() {
            return "MatMul";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor a = aIndex >= 0 ? saved(aIndex) : null;
            Tensor b = bIndex >= 0 ? saved(bIndex) : null;
            Tensor ga = null;
            Tensor gb = null;
            // C = op(A) op(B):  d op(A) = dC op(B)ᵀ,  d op(B) = op(A)ᵀ dC.
            if (b != null) ga = transA ? matmul(b, g, transB, true) : matmul(g, b, false, !transB);
            if (a != null) {
                if (inputShape(1).length == 2 && a.rank() > 2) {
                    // fold (B, T, ·) into rows: dW = A2ᵀ dC2 (or dC2ᵀ A2 for a transposed weight)
                    Tensor a2 = Shapes.reshape(a, a.length() / a.size(-1), a.size(-1));
                    Tensor g2 = Shapes.reshape(g, g.length() / g.size(-1), g.size(-1));
                    gb = transB ? matmul(g2, a2, true, false) : matmul(a2, g2, true, false);
                    a2.release();
                    g2.release();
                } else {
                    gb = transB ? matmul(g, a, true, transA) : matmul(a, g, !transA, false);
                }
            }
            return new Tensor[] {ga, gb};
        }
    }

    /**
     * Rows of {@code weight} (V, C) picked by integer {@code ids} (…): result (…, C). Saves the ids only.
     * An embedding is the product of one-hot rows with the weight, done as a gather: its backward
     * adds each row's gradient into the row it picked.
     */
    public static Tensor embedding(Tensor weight, Tensor ids) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("embedding: weight must be (V, C), got " + Arrays.toString(weight.shape()));
        }
        if (!ids.dtype().isIntType()) {
            throw new IllegalArgumentException("embedding: ids must be integers, got " + ids.dtype());
        }
        Losses.checkRange("embedding", ids, weight.size(0));
        long[] shape = Arrays.copyOf(ids.shape(), ids.rank() + 1);
        shape[shape.length - 1] = weight.size(1);
        Tensor out;
        try (OpScope op = new OpScope("embedding")) {
            // gather straight from the stored weight: only the picked rows are converted
            INDArray gathered = op.temp(weight.dtype(), shape);
            Kernels.custom("gather", new INDArray[] {weight.array(), ids.array()}, gathered, 0);
            Storage s = Memory.allocate(weight.dtype(), shape, Category.TEMPORARY, "embedding");
            Kernels.assign(s.array(), gathered);
            out = Tensor.of(s);
        }
        if (Autograd.needsGrad(weight)) new EmbeddingBackward().attach(out, weight, ids).save(ids);
        return out;
    }

    static final class EmbeddingBackward extends AutogradFunction {
        @Override
        public String name() {
            return "Embedding";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor ids = saved(0);
            long[] ws = inputShape(0);
            try (OpScope op = new OpScope("EmbeddingBackward")) {
                INDArray o = op.out(inputType(0), ws);
                Kernels.fill(o, 0);
                INDArray flatIds = ids.array().reshape('c', new long[] {ids.length()});
                INDArray rows = op.in(g).reshape('c', new long[] {ids.length(), ws[1]});   // (B*T, C)
                // lock = true: without it libnd4j's CPU scatter_add adds rows of the same id from several
                // threads at once (helpers/cpu/scatter.cpp: parallel_tad(…, lock ? 1 : maxThreads())), and
                // repeated ids race; OpGradientTest's repeated-ids check guards it. checkIndices = true
                Kernels.custom("scatter_add", new INDArray[] {o, flatIds, rows}, new INDArray[] {o}, null,
                        new boolean[] {true, true}, null);
                return new Tensor[] {op.result(o), null};
            }
        }
    }
}
