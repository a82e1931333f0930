package org.memlean.tensor;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Cross-entropy over integer targets and mean squared error; both return a scalar mean. */
public final class Losses {
    private Losses() {}

    /**
     * Mean cross-entropy of {@code logits} (…, V) against integer {@code targets} (…). Fused
     * log-softmax + negative log-likelihood: saves the log-probabilities (…, V), as PyTorch's
     * {@code cross_entropy} does, and the targets. The loss itself is FLOAT (DOUBLE for DOUBLE logits).
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        if (Autocast.target("crossEntropy") != null) return Autocast.apply("crossEntropy", in -> crossEntropy(in[0], in[1]), logits, targets);
        long[] ls = logits.shape();
        long[] expected = Arrays.copyOf(ls, ls.length - 1);
        if (!Arrays.equals(expected, targets.shape())) {
            throw new IllegalArgumentException("crossEntropy: logits " + Arrays.toString(ls) + " need targets of shape "
                    + Arrays.toString(expected) + ", got " + Arrays.toString(targets.shape()));
        }
        if (!targets.dtype().isIntType()) {
            throw new IllegalArgumentException("crossEntropy: targets must be integer class indices, got "
                    + targets.dtype());
        }
        long vocab = ls[ls.length - 1];
        checkRange("crossEntropy", targets, vocab);
        long positions = targets.length();
        DataType compute = Compute.of(logits.dtype());
        Tensor logProbs;
        Tensor loss;
        try (OpScope op = new OpScope("crossEntropy")) {
            INDArray lp = op.out(logits.dtype(), ls);
            Kernels.custom("log_softmax", new INDArray[] {op.in(logits)}, lp, ls.length - 1);
            INDArray oneHot = oneHot(op, targets, vocab, compute);
            INDArray picked = op.temp(compute, ls);
            Kernels.mul(lp, oneHot, picked);
            INDArray l = op.out(compute, new long[0]);
            Kernels.sum(picked, false, new int[0], l);
            Kernels.scale(l, -1.0 / positions, l);
            logProbs = op.result(lp);
            loss = op.result(l);
        }
        if (Autograd.needsGrad(logits)) {
            new CrossEntropyBackward(vocab, positions).attach(loss, logits, targets).save(logProbs, targets);
        }
        logProbs.release(); // only the AutogradFunction keeps it
        return loss;
    }

    /** Mean of (prediction − target)²; saves the difference. */
    public static Tensor mse(Tensor prediction, Tensor target) {
        if (Autocast.target("mse") != null) return Autocast.apply("mse", in -> mse(in[0], in[1]), prediction, target);
        if (!Arrays.equals(prediction.shape(), target.shape())) {
            throw new IllegalArgumentException("mse: prediction " + Arrays.toString(prediction.shape())
                    + " and target " + Arrays.toString(target.shape()) + " differ in shape");
        }
        Tensor diff;
        Tensor loss;
        try (GradMode.Guard ignored = GradMode.noGrad(); OpScope op = new OpScope("mse")) {
            diff = Arithmetic.sub(prediction, target);
            INDArray d = op.in(diff);
            INDArray sq = op.temp(d.dataType(), d.shape());
            Kernels.mul(d, d, sq);
            INDArray l = op.out(Compute.of(diff.dtype()), new long[0]);
            Kernels.mean(sq, false, new int[0], l);
            loss = op.result(l);
        }
        if (Autograd.needsGrad(prediction, target)) new MseBackward(diff.length()).attach(loss, prediction, target).save(diff);
        diff.release();
        return loss;
    }

    static INDArray oneHot(OpScope op, Tensor targets, long vocab, DataType compute) {
        long[] shape = Arrays.copyOf(targets.shape(), targets.rank() + 1);
        shape[shape.length - 1] = vocab;
        INDArray oneHot = op.temp(compute, shape);
        Kernels.custom("onehot", new INDArray[] {targets.array()}, new INDArray[] {oneHot},
                new int[] {-1, (int) vocab}, null, new double[] {1, 0});
        return oneHot;
    }

    /** Fails clearly if an index is outside [0, limit). */
    static void checkRange(String op, Tensor indices, long limit) {
        try (OpScope scope = new OpScope(op + ":check")) {
            INDArray lo = scope.temp(indices.dtype());
            INDArray hi = scope.temp(indices.dtype());
            Kernels.custom("reduce_min", new INDArray[] {indices.array()}, lo);
            Kernels.custom("reduce_max", new INDArray[] {indices.array()}, hi);
            long min = lo.getLong(0);
            long max = hi.getLong(0);
            if (min < 0 || max >= limit) {
                throw new IllegalArgumentException(op + ": index " + (min < 0 ? min : max) + " is out of range [0, "
                        + limit + ") for indices of shape " + Arrays.toString(indices.shape()));
            }
        }
    }

    static final class CrossEntropyBackward extends AutogradFunction {
        private final long vocab;
        private final long positions;

        CrossEntropyBackward(long vocab, long positions) {
            this.vocab = vocab;
            this.positions = positions;
        }

        @Override
        public String name() {
            return "CrossEntropy";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            // d loss / d logits = (softmax − onehot) · g / N
            Tensor logProbs = saved(0);
            Tensor targets = saved(1);
            try (OpScope op = new OpScope("CrossEntropyBackward")) {
                INDArray o = op.out(inputType(0), inputShape(0));
                Kernels.exp(op.in(logProbs), o);
                Kernels.sub(o, oneHot(op, targets, vocab, o.dataType()), o);
                Kernels.scale(o, g.item() / positions, o);
                return new Tensor[] {op.result(o), null};
            }
        }
    }

    static final class MseBackward extends AutogradFunction {
        private final long count;

        MseBackward(long count) {
            this.count = count;
        }

        @Override
        public String name() {
            return "Mse";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor diff = saved(0);
            Tensor[] in = inputs();
            Tensor gp;
            try (OpScope op = new OpScope("MseBackward")) {
                INDArray o = op.out(diff.dtype(), diff.shape());
                Kernels.scale(op.in(diff), 2 * g.item() / count, o);
                gp = op.result(o);
            }
            Tensor gt = in[1].requiresGrad() ? Arithmetic.scale(gp, -1) : null;
            if (!in[0].requiresGrad()) {
                gp.release();
                gp = null;
            }
            return new Tensor[] {gp, gt};
        }
    }
}
