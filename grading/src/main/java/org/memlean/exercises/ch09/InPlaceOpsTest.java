package org.memlean.exercises.ch09;

import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.grading.Answers;
import org.memlean.grading.Seeds;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    @Task(id = "task09_1", points = 20, title = "a ReLU that works in place and saves its output",
            forbids = {"org.memlean.tensor.InPlace#relu", "org.memlean.tensor.Tensor#relu", "org.memlean.tensor.Activations"})
    void yourReluHasTheFrameworksValuesAndGradientAndAllocatesNothing() {
        SplittableRandom r = Seeds.forTest(getClass(), "relu");
        int rows = 2 + r.nextInt(6);
        int cols = 8 + r.nextInt(24);
        String what = rows + " × " + cols + "; " + Seeds.reproduce("09");
        Tensor w = param(r.nextInt(1000), rows, cols);
        float[] expectedGrad;
        float[] expectedOut;
        try (Scope s = Scope.open()) {
            Tensor h = w.mul(1.0);
            Tensor y = h.relu();
            expectedOut = y.toFloatArray();
            y.mul(h.mul(0.0).add(Tensor.of(ramp(rows * cols), rows, cols))).sum().backward();
            expectedGrad = w.grad().toFloatArray();
        }
        w.zeroGrad(true);
        try (Scope s = Scope.open()) {
            Tensor h = w.mul(1.0);
            Tensor weights = h.mul(0.0).add(Tensor.of(ramp(rows * cols), rows, cols));
            long allocated;
            Tensor y;
            try (Work work = Work.count(); MemoryMeter m = MemoryMeter.start("your relu", false)) {
                y = InPlaceOps.relu(h);
                allocated = m.ledgerPeakBytes();
            }
            assertThat(y).as("relu_ returns the tensor it changed").isSameAs(h);
            assertThat(allocated).as("bytes allocated by your in-place ReLU").isZero();
            assertThat(y.toFloatArray()).as("values, %s", what).containsExactly(expectedOut);
            y.mul(weights).sum().backward();
            assertThat(w.grad().toFloatArray()).as("the gradient through your ReLU, %s", what).containsExactly(expectedGrad);
        }
        w.zeroGrad(true);
        // where in place must be refused: an op that saved x before the write fails in backward
        try (Scope s = Scope.open()) {
            Tensor h = w.mul(1.0);
            Tensor squared = h.mul(h);                                  // saves h
            InPlaceOps.relu(h);
            assertThatThrownBy(() -> squared.sum().backward()).as("backward through an op that saved x before your "
                    + "write, %s", what).isInstanceOf(IllegalStateException.class).hasMessageContaining("version");
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
        SplittableRandom r = Seeds.forTest(getClass(), "attention");
        long b = 1 + r.nextInt(3);
        long h = 1 + r.nextInt(4);
        long time = 3 + r.nextInt(8);
        long d = 4 + r.nextInt(12);
        Tensor q = param(2, b, h, time, d);
        Tensor k = param(3, b, h, time, d);
        Tensor v = param(4, b, h, time, d);
        float[][] expected = new float[3][];
        long expectedAllocations;
        try (Scope s = Scope.open(); Work work = Work.count()) {
            Rng.seed(7);
            Tensor scores = LinearAlgebra.matmul(q, k, false, true).mul(1.0 / Math.sqrt(d)).softmax();
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

    @Test
    @Tag("task09_3")
    @Task(id = "task09_3", points = 5, title = "question: which ops may run in place in training",
            explanation = "ReLU, sigmoid, tanh and softmax compute their gradient from their output, so overwriting the "
                    + "input loses nothing; dropout needs only its mask. GELU needs its input, and layer norm its input "
                    + "(or x̂): they must run out of place while autograd records.")
    void inPlaceOps() {
        Answers.sameNames(Questions.inPlaceWhileRecording(), Set.of("relu", "sigmoid", "tanh", "softmax", "dropout"));
    }

    @Test
    @Tag("task09_4")
    @Task(id = "task09_4", points = 5, title = "question: what an in-place product saves in inference",
            explanation = "SwiGLU multiplies silu(gate) by up, both B·T·I: writing the product into one of them instead of a "
                    + "new buffer saves 4096 × 11,008 × 2 bytes = 90,177,536 bytes at the MLP's moment — inference's peak "
                    + "is in flight, so in place pays there; in training the peak is in backward and does not move.")
    void swigluBytes() {
        Answers.exactly(Questions.swigluProductBytes(), 4096L * 11_008 * 2);
    }
}
