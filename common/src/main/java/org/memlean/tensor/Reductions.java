package org.memlean.tensor;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Sum and mean over axes. */
final class Reductions {
    private Reductions() {}

    /** Sum over {@code axes} (negative counts from the end; none = all), keeping them as size 1 if asked. */
    public static Tensor sum(Tensor x, boolean keepDims, int... axes) {
        if (Autocast.target("sum") != null) return Autocast.apply("sum", in -> sum(in[0], keepDims, axes), x);
        int[] ax = normalize(x.rank(), axes);
        long[] outShape = reducedShape(x.shape(), ax, keepDims);
        Tensor out;
        try (OpScope op = new OpScope("sum")) {
            INDArray o = op.out(x.dtype(), outShape);
            Kernels.sum(op.in(x), keepDims, ax, o);
            out = op.result(o);
        }
        if (Autograd.needsGrad(x)) new SumBackward(x.shape(), reducedShape(x.shape(), ax, true)).attach(out, x);
        return out;
    }

    /** Mean over {@code axes}: the sum, scaled by 1/count. */
    public static Tensor mean(Tensor x, boolean keepDims, int... axes) {
        if (Autocast.target("mean") != null) return Autocast.apply("mean", in -> mean(in[0], keepDims, axes), x);
        int[] ax = normalize(x.rank(), axes);
        long count = 1;
        for (int a : ax) count *= x.size(a);
        Tensor s = sum(x, keepDims, ax);
        Tensor out = Arithmetic.scale(s, 1.0 / count);
        s.release();
        return out;
    }

    static int[] normalize(int rank, int[] axes) {
        if (axes == null || axes.length == 0) return IntStream.range(0, rank).toArray();
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            int a = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (a < 0 || a >= rank) {
                throw new IllegalArgumentException("axis " + axes[i] + " is out of range for a tensor of rank " + rank);
            }
            out[i] = a;
        }
        Arrays.sort(out);
        return out;
    }

    static long[] reducedShape(long[] shape, int[] axes, boolean keepDims) {
        long[] kept = shape.clone();
        for (int a : axes) kept[a] = 1;
        if (keepDims) return kept;
        return IntStream.range(0, shape.length).filter(i -> Arrays.binarySearch(axes, i) < 0)
                .mapToLong(i -> shape[i]).toArray();
    }

    /** A copy of {@code g} (shaped like the kept-dims result) broadcast up to {@code shape}. */
    static Tensor broadcastTo(Tensor g, long[] keptShape, long[] shape) {
        try (OpScope op = new OpScope("broadcastTo")) {
            INDArray o = op.out(g.dtype(), shape);
            INDArray gk = op.in(g).reshape('c', keptShape);
            Kernels.fill(o, 0);
            Kernels.add(o, gk, o); // INDArray.assign does not broadcast: add into zeros does
            return op.result(o);
        }
    }

    static final class SumBackward extends AutogradFunction {
        private final long[] inputShape;
        private final long[] keptShape;

        SumBackward(long[] inputShape, long[] keptShape) {
            this.inputShape = inputShape;
            this.keptShape = keptShape;
        }

        @Override
        public String name() {
            return "Sum";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {broadcastTo(g, keptShape, inputShape)};
        }
    }
}
