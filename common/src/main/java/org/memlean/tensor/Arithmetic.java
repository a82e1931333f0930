package org.memlean.tensor;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Elementwise arithmetic with numpy broadcasting: add, sub, mul, div, neg, scale, in-place forms. */
public final class Arithmetic {
    private Arithmetic() {}

    public static Tensor add(Tensor a, Tensor b) {
        Tensor out = pairwise("add", a, b);
        if (Autograd.needsGrad(a, b)) new AddBackward(a.shape(), b.shape(), 1).attach(out, a, b);
        return out;
    }

    public static Tensor sub(Tensor a, Tensor b) {
        Tensor out = pairwise("subtract", a, b);
        if (Autograd.needsGrad(a, b)) new AddBackward(a.shape(), b.shape(), -1).attach(out, a, b);
        return out;
    }

    public static Tensor mul(Tensor a, Tensor b) {
        Tensor out = pairwise("multiply", a, b);
        if (Autograd.needsGrad(a, b)) {
            // d(ab)/da = b and d(ab)/db = a: save only what the needed gradients use.
            MulBackward fn = new MulBackward();
            fn.attach(out, a, b);
            if (a.requiresGrad()) fn.bIndex = fn.saveOne(b);
            if (b.requiresGrad()) fn.aIndex = fn.saveOne(a);
        }
        return out;
    }

    public static Tensor div(Tensor a, Tensor b) {
        Tensor out = pairwise("divide", a, b);
        if (Autograd.needsGrad(a, b)) new DivBackward().attach(out, a, b).save(a, b);
        return out;
    }

    public static Tensor neg(Tensor x) {
        return scale(x, -1);
    }

    /** x * factor for a constant factor. */
    public static Tensor scale(Tensor x, double factor) {
        Tensor out;
        try (OpScope op = new OpScope("scale")) {
            INDArray o = op.out(x.dtype(), x.shape());
            Kernels.scale(op.in(x), factor, o);
            out = op.result(o);
        }
        if (Autograd.needsGrad(x)) new ScaleBackward(factor).attach(out, x);
        return out;
    }

    /** x + value for a constant value. */
    public static Tensor addScalar(Tensor x, double value) {
        Tensor out;
        try (OpScope op = new OpScope("addScalar")) {
            INDArray o = op.out(x.dtype(), x.shape());
            Kernels.addScalar(op.in(x), value, o);
            out = op.result(o);
        }
        if (Autograd.needsGrad(x)) new ScaleBackward(1).attach(out, x);
        return out;
    }

    private static Tensor pairwise(String op, Tensor a, Tensor b) {
        long[] shape = broadcastShape(op, a.shape(), b.shape());
        DataType storage = Compute.promote(a.dtype(), b.dtype());
        DataType compute = Compute.of(storage);
        try (OpScope scope = new OpScope(op)) {
            INDArray o = scope.out(storage, shape);
            Kernels.pairwise(op, scope.in(a, compute), scope.in(b, compute), o);
            return scope.result(o);
        }
    }

    /** The numpy broadcast of two shapes, or a clear error naming both. */
    static long[] broadcastShape(String op, long[] a, long[] b) {
        int rank = Math.max(a.length, b.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            long db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast together (axis " + i + " of the result: " + da + " vs " + db + ")");
            }
            out[i] = Math.max(da, db);
        }
        return out;
    }

    /**
     * Sums {@code g} down to {@code shape} (undoing a broadcast) and releases {@code g} if it made a
     * new tensor; returns {@code g} itself when the shapes already agree.
     */
    static Tensor reduceToShape(Tensor g, long[] shape) {
        long[] gs = g.shape();
        if (Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        int[] axes = IntStream.range(0, gs.length)
                .filter(i -> i < lead || (shape[i - lead] == 1 && gs[i] != 1)).toArray();
        long[] kept = gs.clone();
        for (int ax : axes) kept[ax] = 1;
        Tensor out;
        try (OpScope op = new OpScope("reduceToShape")) {
            INDArray o = op.out(g.dtype(), kept);
            Kernels.sum(op.in(g), true, axes, o);
            out = op.result(o);
        }
        g.release();
        Tensor reshaped = Shapes.reshape(out, shape);
        out.release();
        return reshaped;
    }

    static final class AddBackward extends AutogradFunction {
        private final long[] aShape;
        private final long[] bShape;
        private final double bSign;

        AddBackward(long[] aShape, long[] bShape, double bSign) {
            this.aShape = aShape;
            this.bShape = bShape;
            this.bSign = bSign;
        }

        @Override
        public String name() {
            return bSign > 0 ? "Add" : "Sub";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor[] in = inputs();
            Tensor ga = in[0].requiresGrad() ? reduceToShape(g.alias(), aShape) : null;
            Tensor gb = null;
            if (in[1].requiresGrad()) {
                Tensor signed = bSign > 0 ? g.alias() : scale(g, -1);
                gb = reduceToShape(signed, bShape);
            }
            return new Tensor[] {ga, gb};
        }
    }

    static final class MulBackward extends AutogradFunction {
        private int aIndex = -1;
        private int bIndex = -1;
        private int count;

        int saveOne(Tensor t) {
            save(t);
            return count++;
        }

        @Override
        public String name() {
            return "Mul";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor[] in = inputs();
            Tensor ga = null;
            Tensor gb = null;
            if (bIndex >= 0) ga = reduceToShape(mul(g, saved(bIndex)), inputShape(0));
            if (aIndex >= 0) gb = reduceToShape(mul(g, saved(aIndex)), inputShape(1));
            return new Tensor[] {ga, gb};
        }
    }

    static final class DivBackward extends AutogradFunction {
        @Override
        public String name() {
            return "Div";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor a = saved(0);
            Tensor b = saved(1);
            Tensor ga = null;
            Tensor gb = null;
            if (a.requiresGrad()) ga = reduceToShape(div(g, b), a.shape());
            if (b.requiresGrad()) {
                // d(a/b)/db = -a / b^2
                Tensor ga2 = div(g, b);
                Tensor q = div(a, b);
                Tensor prod = mul(ga2, q);
                ga2.release();
                q.release();
                Tensor negated = scale(prod, -1);
                prod.release();
                gb = reduceToShape(negated, b.shape());
            }
            return new Tensor[] {ga, gb};
        }
    }

    static final class ScaleBackward extends AutogradFunction {
        private final double factor;

        ScaleBackward(double factor) {
            this.factor = factor;
        }

        @Override
        public String name() {
            return "Scale";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {factor == 1 ? g.alias() : scale(g, factor)};
        }
    }
}
