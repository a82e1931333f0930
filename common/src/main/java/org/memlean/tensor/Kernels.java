package org.memlean.tensor;

import java.util.Arrays;
import java.util.function.Supplier;
import org.memlean.memory.Category;
import org.memlean.memory.DeviceOutOfMemoryException;
import org.memlean.memory.Listener;
import org.memlean.memory.Listeners;
import org.memlean.memory.Memory;
import org.memlean.memory.ProcessCheck;
import org.memlean.memory.Storage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseScalarOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarAdd;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarReverseSubtraction;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarSet;
import org.nd4j.linalg.api.ops.impl.transforms.floating.Sqrt;
import org.nd4j.linalg.api.ops.impl.transforms.same.Abs;
import org.nd4j.linalg.api.ops.impl.transforms.same.Sign;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Log;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The array kernels the framework runs, each writing into an output it is given (which may be one of
 * its inputs: in place), in the compute dtype — so the backend never allocates a buffer the ledger
 * does not see. (ND4J's convenience calls such as {@code x.sum(1)} or {@code x.mul(2.0)} allocate
 * small hidden arrays — a dimension list, a scalar — left to the GC.) Every call goes through
 * {@link #run}, which announces it to the thread's {@link Listener}s and turns a
 * backend refusal into the course's out-of-memory error.
 */
public final class Kernels {
    private Kernels() {}


    /** out = a + b; in place (out is a or b) on one contiguous run of floats, BLAS axpy does it. */
    public static void add(INDArray a, INDArray b, INDArray out) {
        if (out == a && blasPair(b, a)) axpy(1, b, a);
        else if (out == b && blasPair(a, b)) axpy(1, a, b);
        else pairwise("add", a, b, out);
    }

    /** out = a − b; in place (out is a) on one contiguous run of floats, BLAS axpy does it. */
    public static void sub(INDArray a, INDArray b, INDArray out) {
        if (out == a && blasPair(b, a)) axpy(-1, b, a);
        else pairwise("subtract", a, b, out);
    }
    public static void mul(INDArray a, INDArray b, INDArray out) { pairwise("multiply", a, b, out); }
    public static void div(INDArray a, INDArray b, INDArray out) { pairwise("divide", a, b, out); }

    /**
     * y ← y + α·x by BLAS level 1 (axpy), for arrays {@link #blasPair} accepts. A libnd4j
     * elementwise op costs 15–40 µs a call before it touches an element (its op context, its output
     * shape); a BLAS call costs 1–2 µs, and it rounds α·x + y once, as the op does for α = ±1 —
     * the same bits.
     */
    public static void axpy(double alpha, INDArray x, INDArray y) {
        if (!blasPair(x, y)) {
            throw new IllegalArgumentException("axpy needs two arrays of one shape and one FLOAT or DOUBLE type, each one "
                    + "contiguous row-major run; got x " + x.dataType() + Arrays.toString(x.shape()) + " strides "
                    + Arrays.toString(x.stride()) + ", y " + y.dataType() + Arrays.toString(y.shape())
                    + " strides " + Arrays.toString(y.stride()));
        }
        Kernels.run("axpy", 0, () -> Nd4j.getBlasWrapper().level1().axpy(y.length(), alpha, x, y));
    }

    /** x ← x·factor: BLAS scal where x is one contiguous run of FLOAT or DOUBLE, else the scalar op. */
    public static void scaleInPlace(INDArray x, double factor) {
        if (blasPair(x, x)) Kernels.run("scal", 0, () -> Nd4j.getBlasWrapper().level1().scal(x.length(), factor, x));
        else scale(x, factor, x);
    }

    /**
     * Whether BLAS level 1 can treat {@code x} and {@code y} as two vectors of the same elements in
     * the same order: one FLOAT or DOUBLE type, one shape, each one contiguous run in row-major order.
     */
    static boolean blasPair(INDArray x, INDArray y) {
        DataType t = x.dataType();
        return (t == DataType.FLOAT || t == DataType.DOUBLE) && y.dataType() == t
                && Arrays.equals(x.shape(), y.shape()) && rowMajorRun(x) && rowMajorRun(y);
    }

    private static boolean rowMajorRun(INDArray a) {
        if (a.isEmpty() || !Shape.isContiguousInBuffer(a)) return false;
        return a.rank() <= 1 || Arrays.equals(a.stride(),
                Nd4j.getStrides(a.shape(), 'c'));
    }

    /** Broadcasting elementwise op (numpy rules). */
    public static void pairwise(String op, INDArray a, INDArray b, INDArray out) {
        Kernels.custom(op, new INDArray[] {a, b}, out);
    }

    public static void scale(INDArray x, double factor, INDArray out) {
        Kernels.scalar(() -> new ScalarMultiplication(x, null, out, factor), x.dataType());
    }

    public static void addScalar(INDArray x, double value, INDArray out) {
        Kernels.scalar(() -> new ScalarAdd(x, null, out, value), x.dataType());
    }

    /** Sets every element of {@code x} to {@code value} (NaN and infinity included). */
    public static void fill(INDArray x, double value) {
        Kernels.scalar(() -> new ScalarSet(x, null, x, value), x.dataType());
    }

    /** out = value - x */
    public static void reverseSub(INDArray x, double value, INDArray out) {
        Kernels.scalar(() -> new ScalarReverseSubtraction(x, null, out, value), x.dataType());
    }

    public static void exp(INDArray x, INDArray out) { Kernels.run("exp", 0, () -> Nd4j.exec(new Exp(x, out))); }
    public static void log(INDArray x, INDArray out) { Kernels.run("log", 0, () -> Nd4j.exec(new Log(x, out))); }
    public static void tanh(INDArray x, INDArray out) { Kernels.run("tanh", 0, () -> Nd4j.exec(new Tanh(x, out))); }
    public static void sigmoid(INDArray x, INDArray out) {
        Kernels.run("sigmoid", 0, () -> Nd4j.exec(new Sigmoid(x, out)));
    }

    /** Each element clamped to [lo, hi]. */
    public static void clip(INDArray x, double lo, double hi, INDArray out) {
        Kernels.custom("clipbyvalue", new INDArray[] {x}, new INDArray[] {out}, null, null, new double[] {lo, hi});
    }

    public static void abs(INDArray x, INDArray out) {
        Kernels.run("abs", 0, () -> Nd4j.exec(new Abs(x, out)));
    }

    /** −1, 0 or 1 by the sign of each element. */
    public static void sign(INDArray x, INDArray out) {
        Kernels.run("sign", 0, () -> Nd4j.exec(new Sign(x, out)));
    }

    public static void sqrt(INDArray x, INDArray out) {
        Kernels.run("sqrt", 0, () -> Nd4j.exec(new Sqrt(x, out)));
    }

    /** Sum over {@code axes} (all when empty). */
    public static void sum(INDArray x, boolean keepDims, int[] axes, INDArray out) {
        Kernels.custom("reduce_sum", new INDArray[] {x}, new INDArray[] {out}, axes, new boolean[] {keepDims}, null);
    }

    /** Mean over {@code axes} (all when empty). */
    public static void mean(INDArray x, boolean keepDims, int[] axes, INDArray out) {
        Kernels.custom("reduce_mean", new INDArray[] {x}, new INDArray[] {out}, axes, new boolean[] {keepDims}, null);
    }

    /**
     * out = a @ b with optional transposes; batched over leading dimensions of equal rank. (For 2-D
     * operands this runs at the same speed as {@code Nd4j.gemm}, BLAS sgemm: measured 20 ms each for
     * this course's 1024×256×1024 shapes in all three transpose forms.)
     */
    public static void matmul(INDArray a, INDArray b, INDArray out, boolean transA, boolean transB) {
        long inner = transA ? a.size(a.rank() - 2) : a.size(a.rank() - 1);
        Kernels.run("matmul", 2 * out.length() * inner, () -> Nd4j.matmul(a, b, out, transA, transB, false));
    }

    /**
     * libnd4j's {@code adam_updater}, in place: m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
     * update ← lr·√(1 − β2ᵗ⁺¹)/(1 − β1ᵗ⁺¹) · m / (√v + ε), for t = {@code iteration} (from 0).
     * One pass over the four arrays; it allocates nothing.
     */
    public static void adamUpdate(INDArray g, INDArray m, INDArray v, INDArray update, double lr, double beta1,
                                  double beta2, double eps, int iteration) {
        Kernels.custom("adam_updater", new INDArray[] {g, v, m}, new INDArray[] {update, v, m}, new int[] {iteration},
                null, new double[] {lr, beta1, beta2, eps});
    }

    /** Copies {@code from} into {@code out}, broadcasting and converting dtype as needed. */
    public static void assign(INDArray out, INDArray from) {
        Kernels.run("assign", 0, () -> out.assign(from));
    }

    // ---- the gateway every call above goes through ----


    /** A libnd4j custom op by name, inputs and outputs given, with integer/boolean/float arguments. */
    static void custom(String name, INDArray[] inputs, INDArray[] outputs, int[] ints, boolean[] bools, double[] floats) {
        DynamicCustomOp.DynamicCustomOpsBuilder b = DynamicCustomOp.builder(name).addInputs(inputs).addOutputs(outputs);
        if (ints != null && ints.length > 0) b.addIntegerArguments(ints);
        if (bools != null && bools.length > 0) b.addBooleanArguments(bools);
        if (floats != null && floats.length > 0) b.addFloatingPointArguments(toDoubles(floats));
        run(name, 0, () -> Nd4j.exec(b.build()));
    }

    static void custom(String name, INDArray[] inputs, INDArray output, int... ints) {
        custom(name, inputs, new INDArray[] {output}, ints, null, null);
    }

    /**
     * A legacy scalar op. Its constructor allocates a one-element array for the scalar value; that
     * array is counted like every other buffer — checked against the budgets, entered in the ledger
     * as a TEMPORARY "scalar", released right after the op — so a budget equal to a step's measured
     * peak is enough, and the ledger matches the backend at every event.
     */
    static void scalar(Supplier<BaseScalarOp> make, DataType scalarType) {
        Runnable call = () -> {
            long bytes = scalarType.width();
            Memory.checkBudgets(bytes, scalarType, new long[0], Category.TEMPORARY, "scalar");
            Storage scalar = null;
            try {
                BaseScalarOp op;
                synchronized (Memory.LOCK) {
                    op = make.get();
                    if (op.scalar() != null) scalar = Memory.register(op.scalar(), bytes, Category.TEMPORARY, "scalar");
                }
                Nd4j.exec(op);
            } finally {
                if (scalar != null) scalar.free();
            }
        };
        run("scalar", 0, call);
    }

    /** Runs {@code call}, announced to the listeners; a backend refusal becomes the course's error. */
    static void run(String name, long flops, Runnable call) {
        Listeners.kernel(name, flops, call);
        ProcessCheck.kernelStarting();
        try {
            call.run();
        } catch (DeviceOutOfMemoryException e) {
            throw e;
        } catch (RuntimeException e) {
            if (Memory.isBackendOutOfMemory(e)) {
                throw Memory.outOfMemory(0, null, null, Category.TEMPORARY, "native scratch memory of op '" + name + "'", e);
            }
            throw e;
        } finally {
            ProcessCheck.kernelFinished();
        }
    }

    private static Double[] toDoubles(double[] v) {
        Double[] out = new Double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }
}
