package org.memlean.tensor;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.floating.RSqrt;
import org.nd4j.linalg.factory.Nd4j;

/** Layer normalisation over the last axis and batch normalisation over channels, each with a learned scale (gamma) and shift (beta). */
public final class Normalization {
    private Normalization() {}

    /**
     * y = (x − mean) / sqrt(var + eps) · gamma + beta over the last axis of x (…, C). Saves what
     * PyTorch saves: the input, and per row its mean and 1/std in the compute dtype — (…, C) of the
     * input's dtype plus two (…, 1) FLOAT vectors; the output is not saved.
     */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        if (Autocast.target("layerNorm") != null) return Autocast.apply("layerNorm", in -> layerNorm(in[0], in[1], in[2], eps), x, gamma, beta);
        long c = x.size(-1);
        if (gamma.rank() != 1 || gamma.size(0) != c || beta.rank() != 1 || beta.size(0) != c) {
            throw new IllegalArgumentException("layerNorm over the last axis of " + Arrays.toString(x.shape())
                    + " needs gamma and beta of shape [" + c + "], got " + Arrays.toString(gamma.shape()) + " and "
                    + Arrays.toString(beta.shape()));
        }
        long[] kept = x.shape().clone();
        kept[kept.length - 1] = 1;
        int last = x.rank() - 1;
        DataType storage = Compute.promote(x.dtype(), gamma.dtype());
        DataType compute = Compute.of(storage);
        Tensor out;
        Tensor mean;
        Tensor rstd;
        try (OpScope op = new OpScope("layerNorm")) {
            INDArray in = op.in(x, compute);
            INDArray m = op.out(compute, kept);
            INDArray r = op.out(compute, kept);
            INDArray o = op.out(storage, x.shape());
            Kernels.mean(in, true, new int[] {last}, m);
            Kernels.sub(in, m, o);                        // xc = x − mean   (in o, for now)
            INDArray sq = op.temp(compute, x.shape());
            Kernels.mul(o, o, sq);
            Kernels.mean(sq, true, new int[] {last}, r);  // var
            Kernels.addScalar(r, eps, r);
            Kernels.run("rsqrt", 0, () -> Nd4j.exec(
                    new RSqrt(r, r)));
            Kernels.mul(o, r, o);                         // xhat
            Kernels.mul(o, op.in(gamma, compute), o);
            Kernels.add(o, op.in(beta, compute), o);
            out = op.result(o);
            mean = op.result(m);
            rstd = op.result(r);
        }
        if (Autograd.needsGrad(x, gamma, beta)) {
            NormalizationBackward.layerNorm(x.rank()).attach(out, x, gamma, beta).save(x, mean, rstd, gamma);
        }
        mean.release();
        rstd.release();
        return out;
    }

    /**
     * Batch normalisation of NCHW images (B, C, H, W) per channel. In training it normalises with
     * the batch's mean and (biased) variance over B·H·W and updates the running statistics in place
     * — {@code running ← (1 − momentum)·running + momentum·batch}, with the unbiased variance, as
     * PyTorch does; in evaluation it uses the running statistics. Saves the input and per channel
     * the mean and 1/std (FLOAT), as PyTorch does.
     */
    public static Tensor batchNorm2d(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                     double momentum, double eps, boolean training) {
        if (x.rank() != 4) throw new IllegalArgumentException("batchNorm2d needs (B, C, H, W), got " + Arrays.toString(x.shape()));
        long c = x.size(1);
        for (Tensor t : new Tensor[] {gamma, beta, runningMean, runningVar}) {
            if (t.rank() != 1 || t.size(0) != c) {
                throw new IllegalArgumentException("batchNorm2d of " + Arrays.toString(x.shape()) + " needs per-channel "
                        + "tensors of shape [" + c + "], got " + Arrays.toString(t.shape()));
            }
        }
        long count = x.size(0) * x.size(2) * x.size(3);
        if (training && count < 2) {
            throw new IllegalArgumentException("batchNorm2d in training needs more than one value per channel, got "
                    + Arrays.toString(x.shape()));
        }
        long[] kept = {1, c, 1, 1};
        int[] axes = {0, 2, 3};
        DataType storage = Compute.promote(x.dtype(), gamma.dtype());
        DataType compute = Compute.of(storage);
        Tensor out;
        Tensor mean;
        Tensor rstd;
        try (OpScope op = new OpScope("batchNorm2d")) {
            INDArray in = op.in(x, compute);
            INDArray m = op.out(compute, kept);
            INDArray r = op.out(compute, kept);
            INDArray o = op.out(storage, x.shape());
            if (training) {
                Kernels.mean(in, true, axes, m);
                Kernels.sub(in, m, o);                                // xc (in o, for now)
                INDArray sq = op.temp(compute, x.shape());
                Kernels.mul(o, o, sq);
                Kernels.mean(sq, true, axes, r);                      // biased variance
                updateRunning(op, runningMean, m, momentum, 1.0);
                updateRunning(op, runningVar, r, momentum, (double) count / (count - 1));
            } else {
                Kernels.assign(m, op.in(runningMean, compute).reshape('c', kept));
                Kernels.assign(r, op.in(runningVar, compute).reshape('c', kept));
                Kernels.sub(in, m, o);
            }
            Kernels.addScalar(r, eps, r);
            Kernels.run("rsqrt", 0, () -> Nd4j.exec(
                    new RSqrt(r, r)));
            Kernels.mul(o, r, o);                                     // xhat
            Kernels.mul(o, op.in(gamma, compute).reshape('c', kept), o);
            Kernels.add(o, op.in(beta, compute).reshape('c', kept), o);
            out = op.result(o);
            mean = op.result(m);
            rstd = op.result(r);
        }
        if (Autograd.needsGrad(x, gamma, beta)) {
            NormalizationBackward.batchNorm2d(training).attach(out, x, gamma, beta).save(x, mean, rstd, gamma);
        }
        mean.release();
        rstd.release();
        return out;
    }

    /** running ← (1 − momentum)·running + momentum·factor·batch, in place, in the running tensor's dtype. */
    private static void updateRunning(OpScope op, Tensor running, INDArray batch, double momentum, double factor) {
        INDArray r = op.in(running, batch.dataType());
        INDArray b = batch.reshape('c', running.shape());
        INDArray scaled = op.temp(batch.dataType(), running.shape());
        Kernels.scale(b, momentum * factor, scaled);
        Kernels.scale(r, 1 - momentum, r);
        Kernels.add(r, scaled, r);
        if (r != running.array()) Kernels.assign(running.array(), r);
        running.storage().bumpVersion();
    }

    /**
     * The backward of a normalisation y = γ·x̂ + β, x̂ = (x − mean)·rstd, whose statistics were taken over
     * {@code statisticAxes} and whose γ and β are shared over {@code parameterAxes}: layer norm (the
     * last axis; the leading ones) and batch norm (batch and space; the same). With statistics from
     * the batch itself, dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = g·γ; with fixed (running)
     * statistics, dx = rstd·dx̂.
     */
    static final class NormalizationBackward extends AutogradFunction {
        private final String name;
        private final int[] statisticAxes;
        private final int[] parameterAxes;
        private final boolean batchStatistics;
        private final boolean gammaPerChannelAxis;   // γ (C) viewed as the statistics' shape (1, C, 1, 1)

        private NormalizationBackward(String name, int[] statisticAxes, int[] parameterAxes, boolean batchStatistics,
                                      boolean gammaPerChannelAxis) {
            this.name = name;
            this.statisticAxes = statisticAxes;
            this.parameterAxes = parameterAxes;
            this.batchStatistics = batchStatistics;
            this.gammaPerChannelAxis = gammaPerChannelAxis;
        }

        /** Layer norm of a rank-r input: statistics over its last axis, γ and β over the others. */
        static NormalizationBackward layerNorm(int rank) {
            return new NormalizationBackward("LayerNorm", new int[] {rank - 1}, IntStream.range(0, rank - 1).toArray(),
                    true, false);
        }

        /** Batch norm of (B, C, H, W): statistics, γ and β over batch and space. */
        static NormalizationBackward batchNorm2d(boolean training) {
            int[] axes = {0, 2, 3};
            return new NormalizationBackward("BatchNorm2d", axes, axes, training, true);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0);
            Tensor mean = saved(1);
            Tensor rstd = saved(2);
            Tensor gamma = saved(3);
            Tensor[] in = inputs();
            DataType compute = mean.dtype();
            long[] kept = mean.shape();
            Tensor gx = null;
            Tensor gGamma = null;
            Tensor gBeta = null;
            try (OpScope op = new OpScope(name + "Backward")) {
                INDArray gc = op.in(g, compute);
                INDArray xhat = op.temp(compute, x.shape());
                Kernels.sub(op.in(x, compute), mean.array(), xhat);
                Kernels.mul(xhat, rstd.array(), xhat);
                if (in[1].requiresGrad()) {                                   // dγ = Σ g·x̂
                    INDArray gg = op.out(inputType(1), inputShape(1));
                    INDArray prod = op.temp(compute, x.shape());
                    Kernels.mul(gc, xhat, prod);
                    Kernels.sum(prod, false, parameterAxes, gg);
                    gGamma = op.result(gg);
                }
                if (in[2].requiresGrad()) {                                   // dβ = Σ g
                    INDArray gb = op.out(inputType(2), inputShape(2));
                    Kernels.sum(gc, false, parameterAxes, gb);
                    gBeta = op.result(gb);
                }
                if (in[0].requiresGrad()) {
                    INDArray dxhat = op.temp(compute, x.shape());             // dx̂ = g·γ
                    INDArray gammaC = op.in(gamma, compute);
                    Kernels.mul(gc, gammaPerChannelAxis ? gammaC.reshape('c', kept) : gammaC, dxhat);
                    if (batchStatistics) {                                    // rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))
                        INDArray m1 = op.temp(compute, kept);
                        INDArray m2 = op.temp(compute, kept);
                        Kernels.mean(dxhat, true, statisticAxes, m1);
                        INDArray o = op.out(inputType(0), inputShape(0));
                        Kernels.mul(dxhat, xhat, o);
                        Kernels.mean(o, true, statisticAxes, m2);
                        Kernels.mul(xhat, m2, o);
                        Kernels.sub(dxhat, o, o);
                        Kernels.sub(o, m1, o);
                        Kernels.mul(o, rstd.array(), o);
                        gx = op.result(o);
                    } else {                                                  // rstd·dx̂
                        INDArray o = op.out(inputType(0), inputShape(0));
                        Kernels.mul(dxhat, rstd.array(), o);
                        gx = op.result(o);
                    }
                }
            }
            return new Tensor[] {gx, gGamma, gBeta};
        }
    }
}
