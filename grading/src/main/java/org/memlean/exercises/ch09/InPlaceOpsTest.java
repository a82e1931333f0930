package org.memlean.exercises.ch09;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.grading.Task;
import org.memlean.lab.Work;
import org.memlean.memory.Category;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Masks;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;

/** Graded: your ReLU against the framework's, by value, gradient and buffers; your attention by its backward and its buffers. */
class InPlaceOpsTest {
    private static Tensor param(int seed, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] v = new float[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, DataType.FLOAT, Category.PARAMETER, shape).requiresGrad(true);
    }

    @Test
    @Tag("task09_1")
    @Task(id = "task09_1", points = 20, title = "a ReLU that works in place and saves its output")
    void yourReluHasTheFrameworksValuesAndGradientAndAllocatesNothing() {
        Tensor w = param(1, 4, 16);
        float[] expectedGrad;
        float[] expectedOut;
        try (Scope s = Scope.open()) {
            Tensor h = w.mul(1.0);
            Tensor y = h.relu();
            expectedOut = y.toFloatArray();
            y.mul(h.mul(0.0).add(Tensor.of(ramp(64), 4, 16))).sum().backward();
            expectedGrad = w.grad().toFloatArray();
        }
        w.zeroGrad(true);
        try (Scope s = Scope.open()) {
            Tensor h = w.mul(1.0);
            Tensor weights = h.mul(0.0).add(Tensor.of(ramp(64), 4, 16));
            long allocated;
            Tensor y;
            try (Work work = Work.count(); MemoryMeter m = MemoryMeter.start("your relu", false)) {
                y = InPlaceOps.relu(h);
                allocated = m.ledgerPeakBytes();
            }
            assertThat(y).as("relu_ returns the tensor it changed").isSameAs(h);
            assertThat(allocated).as("bytes allocated by your in-place ReLU").isZero();
            assertThat(y.toFloatArray()).containsExactly(expectedOut);
            y.mul(weights).sum().backward();
            assertThat(w.grad().toFloatArray()).as("the gradient through your ReLU").containsExactly(expectedGrad);
        }
        w.zeroGrad(true);
        w.storage().free();
    }

    private static float[] ramp(int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = i + 1;
        return r;
    }

    @Test
    @Tag("task09_2")
    @Task(id = "task09_2", points = 20, title = "the in-place line that breaks backward, fixed")
    void yourAttentionRunsBackwardWithTheSameGradientsAndTwoBuffersFewer() {
        Tensor q = param(2, 2, 2, 4, 8);
        Tensor k = param(3, 2, 2, 4, 8);
        Tensor v = param(4, 2, 2, 4, 8);
        float[][] expected = new float[3][];
        long expectedAllocations;
        try (Scope s = Scope.open(); Work work = Work.count()) {
            Rng.seed(7);
            Tensor scores = LinearAlgebra.matmul(q, k, false, true).mul(1.0 / Math.sqrt(8)).softmax();
            Tensor y = Masks.dropout(scores, 0.3, true).matmul(v);
            expectedAllocations = work.allocations();
            y.sum().backward();
            expected = new float[][] {q.grad().toFloatArray(), k.grad().toFloatArray(), v.grad().toFloatArray()};
        }
        for (Tensor t : new Tensor[] {q, k, v}) t.zeroGrad(true);
        try (Scope s = Scope.open()) {
            long allocations;
            Tensor y;
            try (Work work = Work.count()) {
                Rng.seed(7);
                y = InPlaceOps.attention(q, k, v, 0.3);
                allocations = work.allocations();
            }
            y.sum().backward();
            assertThat(q.grad().toFloatArray()).as("q's gradient").containsExactly(expected[0]);
            assertThat(k.grad().toFloatArray()).as("k's gradient").containsExactly(expected[1]);
            assertThat(v.grad().toFloatArray()).as("v's gradient").containsExactly(expected[2]);
            assertThat(allocations).as("buffers your forward allocated: the scale and the softmax stay in place")
                    .isEqualTo(expectedAllocations - 2);
        }
        for (Tensor t : new Tensor[] {q, k, v}) {
            t.zeroGrad(true);
            t.storage().free();
        }
    }
}
