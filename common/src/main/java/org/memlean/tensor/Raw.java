package org.memlean.tensor;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarAdd;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarReverseSubtraction;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Log;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Array kernels that write into a given output, in the compute dtype. The output may be one of
 * the inputs (in place). Nothing here allocates a buffer the ledger cannot see.
 */
final class Raw {
    private Raw() {}

    static void add(INDArray a, INDArray b, INDArray out) { pairwise("add", a, b, out); }
    static void sub(INDArray a, INDArray b, INDArray out) { pairwise("subtract", a, b, out); }
    static void mul(INDArray a, INDArray b, INDArray out) { pairwise("multiply", a, b, out); }
    static void div(INDArray a, INDArray b, INDArray out) { pairwise("divide", a, b, out); }

    /** Broadcasting elementwise op (numpy rules). */
    static void pairwise(String op, INDArray a, INDArray b, INDArray out) {
        Kernels.custom(op, new INDArray[] {a, b}, out);
    }

    static void scale(INDArray x, double factor, INDArray out) {
        Kernels.scalar(new ScalarMultiplication(x, null, out, factor));
    }

    static void addScalar(INDArray x, double value, INDArray out) {
        Kernels.scalar(new ScalarAdd(x, null, out, value));
    }

    /** Sets every element of {@code x} to {@code value} (NaN and infinity included). */
    static void fill(INDArray x, double value) {
        Kernels.scalar(new org.nd4j.linalg.api.ops.impl.scalar.ScalarSet(x, null, x, value));
    }

    /** out = value - x */
    static void reverseSub(INDArray x, double value, INDArray out) {
        Kernels.scalar(new ScalarReverseSubtraction(x, null, out, value));
    }

    static void exp(INDArray x, INDArray out) { Kernels.run("exp", () -> Nd4j.exec(new Exp(x, out))); }
    static void log(INDArray x, INDArray out) { Kernels.run("log", () -> Nd4j.exec(new Log(x, out))); }
    static void tanh(INDArray x, INDArray out) { Kernels.run("tanh", () -> Nd4j.exec(new Tanh(x, out))); }

    /** Sum over {@code axes} (all when empty). */
    static void sum(INDArray x, boolean keepDims, int[] axes, INDArray out) {
        Kernels.custom("reduce_sum", new INDArray[] {x}, new INDArray[] {out}, axes, new boolean[] {keepDims}, null);
    }

    /** Mean over {@code axes} (all when empty). */
    static void mean(INDArray x, boolean keepDims, int[] axes, INDArray out) {
        Kernels.custom("reduce_mean", new INDArray[] {x}, new INDArray[] {out}, axes, new boolean[] {keepDims}, null);
    }

    /** out = a @ b with optional transposes; batched over leading dimensions of equal rank. */
    static void matmul(INDArray a, INDArray b, INDArray out, boolean transA, boolean transB) {
        Kernels.run("matmul", () -> Nd4j.matmul(a, b, out, transA, transB, false));
    }

    /** Copies {@code from} into {@code out}, broadcasting and converting dtype as needed. */
    static void assign(INDArray out, INDArray from) {
        Kernels.run("assign", () -> out.assign(from));
    }
}
