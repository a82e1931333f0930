package org.memlean.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Reshape (a view, no memory), permute and transpose (a contiguous copy: what PyTorch's
 * {@code .contiguous()} costs), slice, split and concat (copies), identity.
 */
public final class Shapes {
    private Shapes() {}

    /** Same elements, new shape; one axis may be -1. A view of the same storage: costs no memory. */
    public static Tensor reshape(Tensor x, long... shape) {
        long[] target = resolve(x, shape);
        Tensor out = x.view(x.array().reshape('c', target));
        if (Autograd.needsGrad(x)) new ReshapeBackward(x.shape()).attach(out, x);
        return out;
    }

    private static long[] resolve(Tensor x, long[] shape) {
        long known = 1;
        int infer = -1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape to " + Arrays.toString(shape)
                        + ": only one axis can be -1");
                infer = i;
            } else if (shape[i] <= 0) {
                throw new IllegalArgumentException("reshape to " + Arrays.toString(shape) + ": sizes must be positive");
            } else {
                known *= shape[i];
            }
        }
        long[] out = shape.clone();
        if (infer >= 0) out[infer] = known == 0 ? 0 : x.length() / known;
        long n = 1;
        for (long d : out) n *= d;
        if (n != x.length()) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(x.shape()) + " (" + x.length()
                    + " elements) to " + Arrays.toString(shape));
        }
        return out;
    }

    /** The axes reordered: a contiguous copy. */
    public static Tensor permute(Tensor x, int... axes) {
        int rank = x.rank();
        if (axes.length != rank) {
            throw new IllegalArgumentException("permute of " + Arrays.toString(x.shape()) + " needs " + rank
                    + " axes, got " + Arrays.toString(axes));
        }
        boolean[] seen = new boolean[rank];
        int[] inverse = new int[rank];
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            int a = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (a < 0 || a >= rank || seen[a]) {
                throw new IllegalArgumentException("permute of " + Arrays.toString(x.shape()) + ": "
                        + Arrays.toString(axes) + " is not a permutation of 0.." + (rank - 1));
            }
            seen[a] = true;
            inverse[a] = i;
            shape[i] = x.size(a);
        }
        int[] normalized = new int[rank];
        for (int i = 0; i < rank; i++) normalized[i] = axes[i] < 0 ? axes[i] + rank : axes[i];
        Tensor out;
        try (OpScope op = new OpScope("permute")) {
            INDArray o = op.out(x.dtype(), shape);
            // permute() of an INDArray is a view that shares the buffer: never close it (that frees the parent)
            Kernels.assign(o, op.in(x).permute(normalized));
            out = op.result(o);
        }
        if (Autograd.needsGrad(x)) new PermuteBackward(inverse).attach(out, x);
        return out;
    }

    /** Swaps two axes: a contiguous copy. */
    public static Tensor transpose(Tensor x, int axis0, int axis1) {
        int rank = x.rank();
        int[] axes = new int[rank];
        for (int i = 0; i < rank; i++) axes[i] = i;
        int a0 = axis0 < 0 ? axis0 + rank : axis0;
        int a1 = axis1 < 0 ? axis1 + rank : axis1;
        if (a0 < 0 || a0 >= rank || a1 < 0 || a1 >= rank) {
            throw new IllegalArgumentException("transpose(" + axis0 + ", " + axis1 + ") of a tensor of rank " + rank);
        }
        axes[a0] = a1;
        axes[a1] = a0;
        return permute(x, axes);
    }

    /** Elements {@code start .. start+length-1} along {@code axis}: a contiguous copy. */
    public static Tensor slice(Tensor x, int axis, long start, long length) {
        int ax = axis < 0 ? axis + x.rank() : axis;
        if (ax < 0 || ax >= x.rank()) {
            throw new IllegalArgumentException("slice axis " + axis + " of a tensor of rank " + x.rank());
        }
        if (start < 0 || length <= 0 || start + length > x.size(ax)) {
            throw new IllegalArgumentException("slice [" + start + ", " + (start + length) + ") of axis " + ax
                    + " of " + Arrays.toString(x.shape()) + " is out of range");
        }
        long[] shape = x.shape().clone();
        shape[ax] = length;
        Tensor out;
        try (OpScope op = new OpScope("slice")) {
            INDArray o = op.out(x.dtype(), shape);
            Kernels.assign(o, op.in(x).get(region(x.rank(), ax, start, length)));
            out = op.result(o);
        }
        if (Autograd.needsGrad(x)) new SliceBackward(x.shape(), ax, start, length).attach(out, x);
        return out;
    }

    /** Cuts {@code x} along {@code axis} into pieces of the given sizes. */
    public static List<Tensor> split(Tensor x, int axis, long... sizes) {
        int ax = axis < 0 ? axis + x.rank() : axis;
        long total = Arrays.stream(sizes).sum();
        if (ax < 0 || ax >= x.rank() || total != x.size(ax)) {
            throw new IllegalArgumentException("split of " + Arrays.toString(x.shape()) + " along axis " + axis
                    + " into " + Arrays.toString(sizes) + ": the sizes must add up to that axis");
        }
        List<Tensor> pieces = new ArrayList<>();
        long start = 0;
        for (long s : sizes) {
            pieces.add(slice(x, ax, start, s));
            start += s;
        }
        return pieces;
    }

    /** Joins tensors along {@code axis}; all other axes must agree. */
    public static Tensor concat(int axis, Tensor... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("concat of nothing");
        int rank = parts[0].rank();
        int ax = axis < 0 ? axis + rank : axis;
        long[] shape = parts[0].shape().clone();
        shape[ax] = 0;
        DataType storage = parts[0].dtype();
        for (Tensor p : parts) {
            if (p.rank() != rank) throw new IllegalArgumentException("concat: ranks differ: "
                    + Arrays.toString(parts[0].shape()) + " vs " + Arrays.toString(p.shape()));
            for (int i = 0; i < rank; i++) {
                if (i != ax && p.size(i) != parts[0].size(i)) {
                    throw new IllegalArgumentException("concat along axis " + ax + ": " + Arrays.toString(parts[0].shape())
                            + " and " + Arrays.toString(p.shape()) + " differ on axis " + i);
                }
            }
            shape[ax] += p.size(ax);
            storage = Compute.promote(storage, p.dtype());
        }
        long[] sizes = Arrays.stream(parts).mapToLong(p -> p.size(ax)).toArray();
        Tensor out;
        try (OpScope op = new OpScope("concat")) {
            INDArray o = op.out(storage, shape);
            INDArray[] in = new INDArray[parts.length];
            for (int i = 0; i < parts.length; i++) in[i] = op.in(parts[i], o.dataType());
            Kernels.custom("concat", in, o, ax);
            out = op.result(o);
        }
        if (Autograd.needsGrad(parts)) new ConcatBackward(ax, sizes).attach(out, parts);
        return out;
    }

    /**
     * {@code y} with {@code delta} added into its elements {@code start .. start+length-1} along
     * {@code axis} (length = delta's size there): how a low-rank update reaches the q and v parts of a
     * fused qkv projection. Saves nothing; the gradient of {@code delta} is the matching slice.
     */
    public static Tensor addToSlice(Tensor y, Tensor delta, int axis, long start) {
        int ax = axis < 0 ? axis + y.rank() : axis;
        long length = delta.rank() == y.rank() && ax >= 0 && ax < y.rank() ? delta.size(ax) : -1;
        long[] expected = y.shape().clone();
        if (length > 0) expected[ax] = length;
        if (length <= 0 || start < 0 || start + length > y.size(ax) || !Arrays.equals(expected, delta.shape())) {
            throw new IllegalArgumentException("addToSlice: " + Arrays.toString(delta.shape()) + " does not fit into "
                    + Arrays.toString(y.shape()) + " at " + start + " along axis " + axis);
        }
        DataType storage = Compute.promote(y.dtype(), delta.dtype());
        Tensor out;
        try (OpScope op = new OpScope("addToSlice")) {
            INDArray o = op.out(storage, y.shape());
            Kernels.assign(o, op.in(y, o.dataType()));
            INDArray region = o.get(region(y.rank(), ax, start, length));
            Kernels.add(region, op.in(delta, o.dataType()), region);
            out = op.result(o);
        }
        if (Autograd.needsGrad(y, delta)) new AddToSliceBackward(ax, start, length).attach(out, y, delta);
        return out;
    }

    /** The same values through a recorded identity (a new handle, no copy). */
    public static Tensor identity(Tensor x) {
        Tensor out = x.view(x.array());
        if (Autograd.needsGrad(x)) new IdentityBackward().attach(out, x);
        return out;
    }

    static INDArrayIndex[] region(int rank, int axis, long start, long length) {
        INDArrayIndex[] idx = new INDArrayIndex[rank];
        for (int i = 0; i < rank; i++) idx[i] = i == axis ? NDArrayIndex.interval(start, start + length) : NDArrayIndex.all();
        return idx;
    }

    static final class ReshapeBackward extends AutogradFunction {
        private final long[] inputShape;

        ReshapeBackward(long[] inputShape) {
            this.inputShape = inputShape;
        }

        @Override
        public String name() {
            return "Reshape";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {reshape(g, inputShape)};
        }
    }

    static final class PermuteBackward extends AutogradFunction {
        private final int[] inverse;

        PermuteBackward(int[] inverse) {
            this.inverse = inverse;
        }

        @Override
        public String name() {
            return "Permute";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {permute(g, inverse)};
        }
    }

    static final class SliceBackward extends AutogradFunction {
        private final long[] inputShape;
        private final int axis;
        private final long start;
        private final long length;

        SliceBackward(long[] inputShape, int axis, long start, long length) {
            this.inputShape = inputShape;
            this.axis = axis;
            this.start = start;
            this.length = length;
        }

        @Override
        public String name() {
            return "Slice";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            try (OpScope op = new OpScope("sliceBackward")) {
                INDArray o = op.out(g.dtype(), inputShape);
                Kernels.fill(o, 0);
                Kernels.assign(o.get(region(inputShape.length, axis, start, length)), op.in(g));
                return new Tensor[] {op.result(o)};
            }
        }
    }

    static final class ConcatBackward extends AutogradFunction {
        private final int axis;
        private final long[] sizes;

        ConcatBackward(int axis, long[] sizes) {
            this.axis = axis;
            this.sizes = sizes;
        }

        @Override
        public String name() {
            return "Concat";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor[] in = inputs();
            Tensor[] grads = new Tensor[sizes.length];
            long start = 0;
            for (int i = 0; i < sizes.length; i++) {
                if (in[i].requiresGrad()) {
                    Tensor piece = slice(g, axis, start, sizes[i]);
                    grads[i] = piece.dtype() == inputType(i) ? piece : Casts.castAndRelease(piece, inputType(i));
                }
                start += sizes[i];
            }
            return grads;
        }
    }

    static final class AddToSliceBackward extends AutogradFunction {
        private final int axis;
        private final long start;
        private final long length;

        AddToSliceBackward(int axis, long start, long length) {
            this.axis = axis;
            this.start = start;
            this.length = length;
        }

        @Override
        public String name() {
            return "AddToSlice";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor[] in = inputs();
            Tensor gy = in[0].requiresGrad() ? g.alias() : null;
            Tensor gd = in[1].requiresGrad() ? slice(g, axis, start, length) : null;
            return new Tensor[] {gy, gd};
        }
    }

    static final class IdentityBackward extends AutogradFunction {
        @Override
        public String name() {
            return "Identity";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {g.alias()};
        }
    }
}
