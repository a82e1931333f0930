package org.memlean.tensor;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * 2-D convolution, batch normalisation and average pooling over NCHW images (B, C, H, W).
 *
 * <p>Convolution runs as unfold + GEMM, the textbook way: {@code im2col} copies every k×k patch
 * into columns (B, C, k, k, H', W') — a buffer the framework allocates, so the ledger counts it as
 * TEMPORARY (k² times the input: the transient cost of a convolution) — and a batched matrix product
 * per image multiplies them by the weights, group by group. Grouped convolution splits the channels
 * into G independent groups; depthwise convolution is G = C. libnd4j's own conv kernels would hide
 * their scratch from the ledger; these do not.
 */
public final class Convolution {
    private Convolution() {}

    /** Output size along one axis: ⌊(n + 2·padding − kernel) / stride⌋ + 1. */
    public static long outputSize(long n, int kernel, int stride, int padding) {
        return (n + 2L * padding - kernel) / stride + 1;
    }

    /**
     * {@code x} (B, Cin, H, W) convolved with {@code weight} (Cout, Cin/G, k, k), plus {@code bias}
     * (Cout) if not null: (B, Cout, H', W'). Saves its input (and the weight, by reference), as
     * PyTorch does.
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int groups) {
        Geometry g = Geometry.of(x.shape(), weight.shape(), bias == null ? null : bias.shape(), stride, padding, groups);
        DataType storage = Compute.promote(x.dtype(), weight.dtype());
        DataType compute = Compute.of(storage);
        Tensor out;
        try (OpScope op = new OpScope("conv2d")) {
            INDArray o = op.out(storage, g.outputShape());
            INDArray cols = unfold(op, op.in(x, compute), g);                                 // (B, Cin, k, k, H', W')
            INDArray w = op.in(weight, compute).reshape('c', g.groups, g.perGroupOut, g.k());  // (G, Cout/G, K)
            for (long b = 0; b < g.batch; b++) {
                INDArray colsB = cols.get(NDArrayIndex.point(b)).reshape('c', g.groups, g.k(), g.p());   // (G, K, P)
                INDArray outB = o.get(NDArrayIndex.point(b)).reshape('c', g.groups, g.perGroupOut, g.p());
                Kernels.matmul(w, colsB, outB, false, false);                                          // (G, Cout/G, P)
            }
            if (bias != null) Kernels.add(o, op.in(bias, compute).reshape('c', 1, g.outChannels, 1, 1), o);
            out = op.result(o);
        }
        if (Autograd.needsGrad(x, weight, bias)) {
            Tensor[] inputs = bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias};
            new Conv2dBackward(g).attach(out, inputs).save(x, weight);
        }
        return out;
    }

    /** The patches of {@code x} (compute dtype) as a TEMPORARY (B, C, k, k, H', W') buffer of the op. */
    private static INDArray unfold(OpScope op, INDArray x, Geometry g) {
        INDArray cols = op.temp(x.dataType(), g.batch, g.inChannels, g.kernel, g.kernel, g.outH, g.outW);
        Kernels.custom("im2col", new INDArray[] {x}, new INDArray[] {cols},
                new int[] {g.kernel, g.kernel, g.stride, g.stride, g.padding, g.padding, 1, 1, 0}, null, new double[] {0});
        return cols;
    }

    /** Adds patches back into an image: the adjoint of {@link #unfold} (overlaps summed). */
    private static void fold(INDArray cols, INDArray image, Geometry g) {
        Kernels.custom("col2im", new INDArray[] {cols}, new INDArray[] {image},
                new int[] {g.stride, g.stride, g.padding, g.padding, (int) g.height, (int) g.width, 1, 1, 0}, null, null);
    }

    /** Sizes of one convolution, checked. */
    record Geometry(long batch, long inChannels, long height, long width, long outChannels, int kernel, int stride,
                    int padding, int groups, long outH, long outW, long perGroupOut) {
        static Geometry of(long[] x, long[] w, long[] bias, int stride, int padding, int groups) {
            String what = "conv2d of " + Arrays.toString(x) + " with weight " + Arrays.toString(w);
            if (x.length != 4) throw new IllegalArgumentException(what + ": the input must be (B, C, H, W)");
            if (w.length != 4 || w[2] != w[3]) {
                throw new IllegalArgumentException(what + ": the weight must be (Cout, Cin/groups, k, k)");
            }
            if (stride < 1 || padding < 0 || groups < 1) {
                throw new IllegalArgumentException(what + ": needs stride ≥ 1, padding ≥ 0, groups ≥ 1; got stride "
                        + stride + ", padding " + padding + ", groups " + groups);
            }
            if (x[1] % groups != 0 || w[0] % groups != 0 || w[1] * groups != x[1]) {
                throw new IllegalArgumentException(what + ": " + groups + " groups need Cin (" + x[1] + ") and Cout ("
                        + w[0] + ") divisible by them and a weight of Cin/groups = " + (x[1] / groups) + " input channels");
            }
            if (bias != null && (bias.length != 1 || bias[0] != w[0])) {
                throw new IllegalArgumentException(what + ": the bias must be (" + w[0] + "), got " + Arrays.toString(bias));
            }
            int k = (int) w[2];
            long oh = outputSize(x[2], k, stride, padding);
            long ow = outputSize(x[3], k, stride, padding);
            if (oh < 1 || ow < 1) {
                throw new IllegalArgumentException(what + ": a " + k + "×" + k + " kernel with padding " + padding
                        + " does not fit an image of " + x[2] + "×" + x[3]);
            }
            return new Geometry(x[0], x[1], x[2], x[3], w[0], k, stride, padding, groups, oh, ow, w[0] / groups);
        }

        /** K: the inputs one output value reads (Cin/G · k · k). */
        long k() {
            return inChannels / groups * kernel * kernel;
        }

        /** P: output positions per image. */
        long p() {
            return outH * outW;
        }

        long[] outputShape() {
            return new long[] {batch, outChannels, outH, outW};
        }
    }

    static final class Conv2dBackward extends AutogradFunction {
        private final Geometry g;

        Conv2dBackward(Geometry g) {
            this.g = g;
        }

        @Override
        public String name() {
            return "Conv2d";
        }

        @Override
        protected Tensor[] backward(Tensor gradOutput) {
            Tensor x = saved(0);
            Tensor weight = saved(1);
            Tensor[] in = inputs();
            DataType compute = Compute.of(Compute.promote(x.dtype(), weight.dtype()));
            Tensor gx = null;
            Tensor gw = null;
            Tensor gb = null;
            try (OpScope op = new OpScope("Conv2dBackward")) {
                INDArray gc = op.in(gradOutput, compute);                                      // (B, Cout, H', W')
                if (in[1].requiresGrad()) {
                    // dW[g] = Σ_b dOut[b, g] · cols[b, g]ᵀ: (Cout/G, P) · (P, K)
                    INDArray cols = unfold(op, op.in(x, compute), g);
                    INDArray dw = op.out(inputType(1), inputShape(1));
                    INDArray dwView = dw.reshape('c', g.groups, g.perGroupOut, g.k());
                    INDArray part = op.temp(compute, g.groups, g.perGroupOut, g.k());
                    for (long b = 0; b < g.batch; b++) {
                        INDArray colsB = cols.get(NDArrayIndex.point(b)).reshape('c', g.groups, g.k(), g.p());
                        INDArray gB = gc.get(NDArrayIndex.point(b)).reshape('c', g.groups, g.perGroupOut, g.p());
                        Kernels.matmul(gB, colsB, b == 0 ? dwView : part, false, true);
                        if (b > 0) Kernels.add(dwView, part, dwView);
                    }
                    gw = op.result(dw);
                }
                if (in.length > 2 && in[2].requiresGrad()) {
                    INDArray db = op.out(inputType(2), inputShape(2));
                    Kernels.sum(gc, false, new int[] {0, 2, 3}, db);
                    gb = op.result(db);
                }
                if (in[0].requiresGrad()) {
                    // dcols[b, g] = W[g]ᵀ · dOut[b, g]: (K, Cout/G) · (Cout/G, P); then fold back into the image
                    INDArray w = op.in(weight, compute).reshape('c', g.groups, g.perGroupOut, g.k());
                    INDArray dcols = op.temp(compute, g.batch, g.inChannels, g.kernel, g.kernel, g.outH, g.outW);
                    for (long b = 0; b < g.batch; b++) {
                        INDArray dB = dcols.get(NDArrayIndex.point(b)).reshape('c', g.groups, g.k(), g.p());
                        INDArray gB = gc.get(NDArrayIndex.point(b)).reshape('c', g.groups, g.perGroupOut, g.p());
                        Kernels.matmul(w, gB, dB, true, false);
                    }
                    INDArray dx = op.out(inputType(0), inputShape(0));
                    Kernels.fill(dx, 0);
                    fold(dcols, dx, g);
                    gx = op.result(dx);
                }
            }
            return new Tensor[] {gx, gw, gb};
        }
    }

    /**
     * Average pooling over k×k windows moved by {@code stride}, no padding: (B, C, H, W) →
     * (B, C, H', W'). Saves nothing (its backward needs only the shapes).
     */
    public static Tensor avgPool2d(Tensor x, int kernel, int stride) {
        if (x.rank() != 4) throw new IllegalArgumentException("avgPool2d needs (B, C, H, W), got " + Arrays.toString(x.shape()));
        long c = x.size(1);
        Geometry g = Geometry.of(x.shape(), new long[] {c, 1, kernel, kernel}, null, stride, 0, (int) c);
        Tensor out;
        try (OpScope op = new OpScope("avgPool2d")) {
            INDArray o = op.out(x.dtype(), g.outputShape());
            INDArray cols = unfold(op, op.in(x), g);                      // (B, C, k, k, H', W')
            Kernels.mean(cols, false, new int[] {2, 3}, o);
            out = op.result(o);
        }
        if (Autograd.needsGrad(x)) new AvgPoolBackward(g).attach(out, x);
        return out;
    }

    static final class AvgPoolBackward extends AutogradFunction {
        private final Geometry g;

        AvgPoolBackward(Geometry g) {
            this.g = g;
        }

        @Override
        public String name() {
            return "AvgPool2d";
        }

        @Override
        protected Tensor[] backward(Tensor gradOutput) {
            try (OpScope op = new OpScope("AvgPool2dBackward")) {
                INDArray gc = op.in(gradOutput);
                INDArray dcols = op.temp(gc.dataType(), g.batch, g.inChannels, g.kernel, g.kernel, g.outH, g.outW);
                Kernels.fill(dcols, 0);
                Kernels.add(dcols, gc.reshape('c', g.batch, g.inChannels, 1, 1, g.outH, g.outW), dcols);
                Kernels.scale(dcols, 1.0 / (g.kernel * g.kernel), dcols);
                INDArray dx = op.out(inputType(0), inputShape(0));
                Kernels.fill(dx, 0);
                fold(dcols, dx, g);
                return new Tensor[] {op.result(dx)};
            }
        }
    }
}
