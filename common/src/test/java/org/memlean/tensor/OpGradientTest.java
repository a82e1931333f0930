package org.memlean.tensor;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.assertj.core.api.Assertions;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.memlean.memory.Scope;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.impl.transforms.same.Abs;
import org.nd4j.linalg.factory.Nd4j;
import static org.memlean.tensor.GradCheck.leaf;

/** Every op's gradient against central differences in DOUBLE, broadcasting cases included. */
class OpGradientTest {
    private List<Tensor> inputs = List.of();

    private void check(String what, List<Tensor> in, Function<List<Tensor>, Tensor> f) {
        inputs = in;
        GradCheck.check(what, in, f);
    }

    @AfterEach
    void free() {
        GradCheck.free(inputs);
    }

    @Test
    void addSubMulDivWithBroadcasting() {
        check("add", List.of(leaf(1, 1, 2, 3, 4), leaf(2, 1, 4)), t -> t.get(0).add(t.get(1)));
        GradCheck.free(inputs);
        check("sub", List.of(leaf(3, 1, 3, 1), leaf(4, 1, 2, 1, 5)), t -> t.get(0).sub(t.get(1)));
        GradCheck.free(inputs);
        check("mul", List.of(leaf(5, 1, 2, 3, 4), leaf(6, 1, 3, 1)), t -> t.get(0).mul(t.get(1)));
        GradCheck.free(inputs);
        Tensor b = leaf(8, 1, 1, 4);
        Kernels.addScalar(b.array(), 3, b.array()); // keep the divisor away from zero
        check("div", List.of(leaf(7, 1, 3, 4), b), t -> t.get(0).div(t.get(1)));
    }

    @Test
    void randomShapesWithRandomBroadcasting() {
        SplittableRandom r = new SplittableRandom(2026);
        for (int trial = 0; trial < 6; trial++) {
            int rank = 1 + r.nextInt(3);
            long[] a = new long[rank];
            for (int i = 0; i < rank; i++) a[i] = 1 + r.nextInt(4);
            // b: a suffix of a's shape, with some axes collapsed to 1 (numpy broadcasting)
            int bRank = 1 + r.nextInt(rank);
            long[] b = new long[bRank];
            for (int i = 0; i < bRank; i++) b[i] = r.nextBoolean() ? 1 : a[rank - bRank + i];
            String what = Arrays.toString(a) + " with " + Arrays.toString(b);
            check("mul " + what, List.of(leaf(100 + trial, 1, a), leaf(200 + trial, 1, b)), t -> t.get(0).mul(t.get(1)));
            GradCheck.free(inputs);
            check("sub " + what, List.of(leaf(300 + trial, 1, b), leaf(400 + trial, 1, a)), t -> t.get(0).sub(t.get(1)));
            GradCheck.free(inputs);
            long m = 1 + r.nextInt(4), k = 1 + r.nextInt(4), n = 1 + r.nextInt(4), batch = 1 + r.nextInt(3);
            check("matmul " + m + "x" + k + "x" + n, List.of(leaf(500 + trial, 1, batch, m, k), leaf(600 + trial, 1, k, n)),
                    t -> t.get(0).matmul(t.get(1)));
            GradCheck.free(inputs);
            int axis = r.nextInt(rank);
            check("sum axis " + axis + " of " + Arrays.toString(a), List.of(leaf(700 + trial, 1, a)),
                    t -> t.get(0).sum(true, axis).mul(t.get(0)).softmax());
            GradCheck.free(inputs);
        }
        inputs = List.of();
    }

    @Test
    void negScaleAddScalar() {
        check("neg/scale/addScalar", List.of(leaf(9, 1, 3, 5)),
                t -> Arithmetic.addScalar(t.get(0).neg().mul(2.5), 1.5));
    }

    @Test
    void matmulForms() {
        check("matmul 2d", List.of(leaf(10, 1, 3, 4), leaf(11, 1, 4, 5)), t -> t.get(0).matmul(t.get(1)));
        GradCheck.free(inputs);
        check("matmul (B,T,C)@(C,N)", List.of(leaf(12, 1, 2, 3, 4), leaf(13, 1, 4, 5)), t -> t.get(0).matmul(t.get(1)));
        GradCheck.free(inputs);
        check("matmul batched 4d, b transposed", List.of(leaf(14, 1, 2, 2, 3, 4), leaf(15, 1, 2, 2, 5, 4)),
                t -> LinearAlgebra.matmul(t.get(0), t.get(1), false, true));
        GradCheck.free(inputs);
        check("matmul batched, a transposed", List.of(leaf(16, 1, 2, 4, 3), leaf(17, 1, 2, 4, 5)),
                t -> LinearAlgebra.matmul(t.get(0), t.get(1), true, false));
        GradCheck.free(inputs);
        check("matmul weight transposed", List.of(leaf(18, 1, 2, 3, 4), leaf(19, 1, 5, 4)),
                t -> LinearAlgebra.matmul(t.get(0), t.get(1), false, true));
    }

    @Test
    void reductions() {
        check("sum axis 1 keep", List.of(leaf(20, 1, 2, 3, 4)), t -> t.get(0).sum(true, 1));
        GradCheck.free(inputs);
        check("sum axes 0,2", List.of(leaf(21, 1, 2, 3, 4)), t -> t.get(0).sum(false, 0, -1));
        GradCheck.free(inputs);
        check("mean all", List.of(leaf(22, 1, 3, 4)), t -> t.get(0).mean());
        GradCheck.free(inputs);
        check("mean last keep", List.of(leaf(23, 1, 3, 4)), t -> t.get(0).mean(true, -1));
    }

    @Test
    void shapes() {
        check("reshape", List.of(leaf(30, 1, 2, 3, 4)), t -> t.get(0).reshape(6, -1));
        GradCheck.free(inputs);
        check("permute", List.of(leaf(31, 1, 2, 3, 4)), t -> t.get(0).permute(2, 0, 1));
        GradCheck.free(inputs);
        check("transpose", List.of(leaf(32, 1, 2, 3, 4)), t -> t.get(0).transpose(1, 2));
        GradCheck.free(inputs);
        check("slice", List.of(leaf(33, 1, 2, 6)), t -> t.get(0).slice(1, 2, 3));
        GradCheck.free(inputs);
        check("split + concat", List.of(leaf(34, 1, 2, 6), leaf(35, 1, 2, 2)), t -> {
            List<Tensor> parts = Shapes.split(t.get(0), 1, 2, 4);
            return Shapes.concat(1, parts.get(1), t.get(1), parts.get(0));
        });
    }

    @Test
    void activations() {
        check("exp", List.of(leaf(40, 1, 3, 4)), t -> t.get(0).exp());
        GradCheck.free(inputs);
        Tensor positive = leaf(41, 1, 3, 4);
        Nd4j.exec(new Abs(positive.array(), positive.array()));
        Kernels.addScalar(positive.array(), 0.5, positive.array());
        check("log", List.of(positive), t -> t.get(0).log());
        GradCheck.free(inputs);
        check("tanh", List.of(leaf(42, 1, 3, 4)), t -> t.get(0).tanh());
        GradCheck.free(inputs);
        check("gelu", List.of(leaf(43, 2, 3, 4)), t -> t.get(0).gelu());
        GradCheck.free(inputs);
        Tensor awayFromZero = leaf(44, 1, 3, 4);
        double[] v = awayFromZero.toDoubleArray();
        for (int i = 0; i < v.length; i++) awayFromZero.array().putScalar(i, v[i] + Math.signum(v[i]) * 0.1);
        check("relu", List.of(awayFromZero), t -> t.get(0).relu());
        GradCheck.free(inputs);
        check("softmax", List.of(leaf(45, 1, 2, 3, 5)), t -> t.get(0).softmax());
        GradCheck.free(inputs);
        check("logSoftmax", List.of(leaf(46, 1, 2, 3, 5)), t -> t.get(0).logSoftmax());
    }

    @Test
    void losses() {
        Tensor targets = Tensor.ofInts(new int[] {0, 4, 2, 1, 3, 3}, 2, 3);
        try {
            check("crossEntropy", List.of(leaf(50, 1, 2, 3, 5)), t -> Losses.crossEntropy(t.get(0), targets));
        } finally {
            targets.storage().free();
        }
        GradCheck.free(inputs);
        check("mse", List.of(leaf(51, 1, 3, 4), leaf(52, 1, 3, 4)), t -> Losses.mse(t.get(0), t.get(1)));
    }

    @Test
    void layerNorm() {
        check("layerNorm", List.of(leaf(60, 1, 2, 3, 6), leaf(61, 1, 6), leaf(62, 1, 6)),
                t -> Normalization.layerNorm(t.get(0), t.get(1), t.get(2), 1e-5));
    }

    @Test
    void embeddingDropoutCausalMaskCast() {
        Tensor ids = Tensor.ofInts(new int[] {0, 3, 3, 1, 4, 0}, 2, 3);
        try {
            check("embedding (repeated ids accumulate)", List.of(leaf(70, 1, 5, 4)), t -> LinearAlgebra.embedding(t.get(0), ids));
        } finally {
            ids.storage().free();
        }
        GradCheck.free(inputs);
        // the same seed before every evaluation: the same mask in forward and in every difference
        check("dropout", List.of(leaf(71, 1, 4, 6)), t -> {
            Rng.seed(7);
            return Masks.dropout(t.get(0), 0.3, true);
        });
        GradCheck.free(inputs);
        check("causalMask + softmax", List.of(leaf(72, 1, 2, 4, 4)), t -> Masks.causalMask(t.get(0)).softmax());
    }

    @Test
    void castPassesTheGradientBackInTheInputsDtype() {
        // central differences through FLOAT would measure float rounding, not the derivative: check exactly
        Tensor x = leaf(73, 1, 3, 4);
        inputs = List.of(x);
        try (Scope s = Scope.open()) {
            x.cast(DataType.HALF).mul(3).cast(DataType.FLOAT).sum().backward();
        }
        Assertions.assertThat(x.grad().dtype()).isEqualTo(DataType.DOUBLE);
        Assertions.assertThat(x.grad().toDoubleArray()).containsOnly(3.0);
    }

    @Test
    void embeddingGradientsWithManyRepeatedIdsAreExactEveryTime() {
        // libnd4j's scatter_add without its lock argument races on repeated ids; this caught it
        int n = 512;
        int vocab = 11;
        int[] ids = new int[n];
        Random r = new Random(3);
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab);
        Tensor idTensor = Tensor.ofInts(ids, n);
        Tensor weight = leaf(90, 1, vocab, 16);
        Tensor upstream = leaf(91, 1, n, 16);
        upstream.requiresGrad(false);
        double[][] expected = new double[vocab][16];
        double[] g = upstream.toDoubleArray();
        for (int i = 0; i < n; i++) for (int j = 0; j < 16; j++) expected[ids[i]][j] += g[i * 16 + j];
        for (int run = 0; run < 20; run++) {
            try (Scope s = Scope.open()) {
                LinearAlgebra.embedding(weight, idTensor).mul(upstream).sum().backward();
            }
            double[] actual = weight.grad().toDoubleArray();
            for (int v = 0; v < vocab; v++) {
                for (int j = 0; j < 16; j++) {
                    Assertions.assertThat(actual[v * 16 + j]).as("run %d, row %d", run, v)
                            .isCloseTo(expected[v][j], Offset.offset(1e-9));
                }
            }
            weight.zeroGrad(true);
        }
        inputs = List.of(weight, upstream, idTensor);
    }

    @Test
    void sharedInputsAccumulate() {
        check("x*x + x", List.of(leaf(80, 1, 3, 4)), t -> t.get(0).mul(t.get(0)).add(t.get(0)));
    }

    @Test
    void convolutionPlainStridedPaddedGroupedAndDepthwise() {
        check("conv2d 3x3, stride 1, padding 1, bias", List.of(leaf(30, 1, 2, 3, 5, 5), leaf(31, 0.5, 4, 3, 3, 3), leaf(32, 1, 4)),
                t -> Convolution.conv2d(t.get(0), t.get(1), t.get(2), 1, 1, 1));
        GradCheck.free(inputs);
        check("conv2d 3x3, stride 2, no padding, no bias", List.of(leaf(33, 1, 2, 2, 7, 6), leaf(34, 0.5, 3, 2, 3, 3)),
                t -> Convolution.conv2d(t.get(0), t.get(1), null, 2, 0, 1));
        GradCheck.free(inputs);
        check("conv2d 1x1, two groups", List.of(leaf(35, 1, 2, 4, 3, 3), leaf(36, 0.5, 6, 2, 1, 1), leaf(37, 1, 6)),
                t -> Convolution.conv2d(t.get(0), t.get(1), t.get(2), 1, 0, 2));
        GradCheck.free(inputs);
        check("conv2d depthwise 3x3, stride 2, padding 1", List.of(leaf(38, 1, 2, 3, 6, 6), leaf(39, 0.5, 3, 1, 3, 3)),
                t -> Convolution.conv2d(t.get(0), t.get(1), null, 2, 1, 3));
    }

    @Test
    void averagePooling() {
        check("avgPool2d 2x2 stride 2", List.of(leaf(40, 1, 2, 3, 4, 6)), t -> Convolution.avgPool2d(t.get(0), 2, 2));
        GradCheck.free(inputs);
        check("avgPool2d 3x3 stride 1 (overlapping)", List.of(leaf(41, 1, 1, 2, 5, 5)), t -> Convolution.avgPool2d(t.get(0), 3, 1));
    }

    @Test
    void batchNormInTrainingAndInEvaluation() {
        Tensor runningMean = leaf(42, 0.1, 3).requiresGrad(false);
        Tensor runningVar = leaf(43, 0.1, 3).requiresGrad(false);
        Kernels.addScalar(runningVar.array(), 1, runningVar.array());     // a variance: positive
        try {
            check("batchNorm2d training", List.of(leaf(44, 1, 3, 3, 2, 2), leaf(45, 1, 3), leaf(46, 1, 3)),
                    t -> Normalization.batchNorm2d(t.get(0), t.get(1), t.get(2), runningMean, runningVar, 0.1, 1e-5, true));
            GradCheck.free(inputs);
            check("batchNorm2d evaluation", List.of(leaf(47, 1, 2, 3, 2, 2), leaf(48, 1, 3), leaf(49, 1, 3)),
                    t -> Normalization.batchNorm2d(t.get(0), t.get(1), t.get(2), runningMean, runningVar, 0.1, 1e-5, false));
        } finally {
            runningMean.storage().free();
            runningVar.storage().free();
        }
    }

    @Test
    void siluAndSigmoid() {
        check("silu", List.of(leaf(50, 2, 3, 7)), t -> t.get(0).silu());
        GradCheck.free(inputs);
        check("sigmoid", List.of(leaf(51, 2, 3, 7)), t -> t.get(0).sigmoid());
    }

    @Test
    void addToSliceAndMatmulWithAFrozenSide() {
        check("addToSlice", List.of(leaf(60, 1, 2, 3, 9), leaf(61, 1, 2, 3, 3)),
                t -> Shapes.addToSlice(t.get(0), t.get(1), 2, 6));
        GradCheck.free(inputs);
        Tensor frozen = leaf(62, 1, 4, 5).requiresGrad(false);
        try {
            check("matmul, frozen weight", List.of(leaf(63, 1, 2, 3, 4)), t -> t.get(0).matmul(frozen));
            GradCheck.free(inputs);
            check("matmul, frozen input", List.of(leaf(64, 1, 5, 2)), t -> frozen.matmul(t.get(0)));
        } finally {
            frozen.storage().free();
        }
    }

    @Test
    void aMatmulWithAFrozenWeightDoesNotKeepItsInput() {
        Tensor w = leaf(65, 1, 4, 5).requiresGrad(false);
        Tensor x = leaf(66, 1, 3, 4);
        try (Scope s = Scope.open()) {
            Tensor h = x.mul(1.0);                      // an activation (a parameter would be kept by reference)
            Tensor y = h.matmul(w);
            Assertions.assertThat(y.creator().savedBytes()).as("saves the weight, by reference only")
                    .isZero();
            Tensor trainable = leaf(67, 1, 4, 5);
            Tensor both = h.matmul(trainable);
            Assertions.assertThat(both.creator().savedBytes()).as("trainable weight: keeps its input")
                    .isEqualTo(h.bytes());
            trainable.storage().free();
        } finally {
            w.storage().free();
            x.storage().free();
        }
    }
}
