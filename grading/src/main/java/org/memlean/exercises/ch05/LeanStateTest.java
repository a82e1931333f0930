package org.memlean.exercises.ch05;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.grading.Answers;
import org.memlean.grading.Seeds;
import org.memlean.grading.Task;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Graded: your factored optimizer against a double-precision reference and the meter; your quantiser by its bounds. */
class LeanStateTest {
    private static float[] random(SplittableRandom r, int n, double scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return out;
    }

    /** Sets p.grad = g through autograd: loss = sum(p · g). */
    private static void gradient(Tensor p, float[] g) {
        try (Scope s = Scope.open()) {
            p.mul(Tensor.of(g, p.shape())).sum().backward();
        }
    }

    @Test
    @Tag("task05_1")
    @Task(id = "task05_1", points = 20, title = "a factored second moment, in an optimizer")
    void yourFactoredOptimizerIsTheReferenceAndKeepsRowsAndColumnsOnly() {
        SplittableRandom r = Seeds.forTest(getClass(), "factored");
        int rows = 3 + r.nextInt(12);
        int cols = 3 + r.nextInt(12);
        int n = 2 + r.nextInt(10);
        double lr = 1e-2;
        double beta2 = 0.9 + 0.09 * r.nextDouble();
        double eps = 1e-6;
        float[] m0 = random(r, rows * cols, 1);
        float[] v0 = random(r, n, 1);
        double[] m = new double[m0.length];
        double[] v = new double[n];
        for (int i = 0; i < m.length; i++) m[i] = m0[i];
        for (int i = 0; i < n; i++) v[i] = v0[i];
        double[] rowState = new double[rows];
        double[] colState = new double[cols];
        double[] vState = new double[n];
        String what = rows + "×" + cols + " and " + n + ", β2 = " + beta2 + "; " + Seeds.reproduce("05");
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("factored")) {
            Tensor matrix = Tensor.of(m0, DataType.FLOAT, Category.PARAMETER, rows, cols).requiresGrad(true);
            Tensor vector = Tensor.of(v0, DataType.FLOAT, Category.PARAMETER, n).requiresGrad(true);
            try (FactoredRms opt = new FactoredRms(List.of(matrix, vector), lr, beta2, eps)) {
                for (int step = 0; step < 3; step++) {
                    float[] gm = random(r, rows * cols, 0.5 + step);
                    float[] gv = random(r, n, 0.5 + step);
                    gradient(matrix, gm);
                    gradient(vector, gv);
                    opt.step();
                    opt.zeroGrad(true);
                    // the reference, in double
                    for (int i = 0; i < rows; i++) {
                        double s = 0;
                        for (int j = 0; j < cols; j++) s += (double) gm[i * cols + j] * gm[i * cols + j];
                        rowState[i] = beta2 * rowState[i] + (1 - beta2) * s;
                    }
                    for (int j = 0; j < cols; j++) {
                        double s = 0;
                        for (int i = 0; i < rows; i++) s += (double) gm[i * cols + j] * gm[i * cols + j];
                        colState[j] = beta2 * colState[j] + (1 - beta2) * s;
                    }
                    double total = 0;
                    for (double x : rowState) total += x;
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            double vHat = rowState[i] * colState[j] / total;
                            m[i * cols + j] -= lr * gm[i * cols + j] / (Math.sqrt(vHat) + eps);
                        }
                    }
                    for (int i = 0; i < n; i++) {
                        vState[i] = beta2 * vState[i] + (1 - beta2) * gv[i] * gv[i];
                        v[i] -= lr * gv[i] / (Math.sqrt(vState[i]) + eps);
                    }
                    float[] gotM = matrix.toFloatArray();
                    float[] gotV = vector.toFloatArray();
                    for (int i = 0; i < m.length; i++) {
                        assertThat((double) gotM[i]).as("matrix[%d] after step %d; %s", i, step + 1, what)
                                .isCloseTo(m[i], org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(m[i]))));
                    }
                    for (int i = 0; i < n; i++) {
                        assertThat((double) gotV[i]).as("vector[%d] after step %d; %s", i, step + 1, what)
                                .isCloseTo(v[i], org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(v[i]))));
                    }
                }
                assertThat(meter.liveBytes(Category.OPTIMIZER_STATE)).as("state: r + c floats for the matrix, n for the "
                        + "vector; %s", what).isEqualTo(4L * (rows + cols + n));
            }
            matrix.storage().free();
            vector.storage().free();
        }
    }

    @Test
    @Tag("task05_2")
    @Task(id = "task05_2", points = 20, title = "block-wise 8-bit quantisation of a moment")
    void yourQuantisationIsWithinHalfAStepOfEachBlockAndAByteAnElement() {
        SplittableRandom r = Seeds.forTest(getClass(), "quantise");
        for (int run = 0; run < 4; run++) {
            int block = 16 << r.nextInt(5);
            int n = block * (1 + r.nextInt(6)) + r.nextInt(block);        // the last block may be short
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                double magnitude = Math.scalb(1.0, -r.nextInt(30));       // moments span many decades
                values[i] = (float) ((r.nextDouble() * 2 - 1) * magnitude);
            }
            for (int i = 0; i < Math.min(block, n); i++) values[i] = 0;   // a block of zeros
            String what = n + " values in blocks of " + block + "; " + Seeds.reproduce("05");
            BlockQuantiser.Quantised q = BlockQuantiser.quantise(values, block);
            assertThat(q.codes()).as("one byte an element, %s", what).hasSize(n);
            assertThat(q.scales()).as("one scale a block, %s", what).hasSize((n + block - 1) / block);
            float[] back = BlockQuantiser.dequantise(q, block);
            for (int i = 0; i < n; i++) {
                float max = 0;
                int b = i / block;
                for (int k = b * block; k < Math.min(n, (b + 1) * block); k++) max = Math.max(max, Math.abs(values[k]));
                assertThat((double) Math.abs(back[i] - values[i])).as("element %d, %s", i, what)
                        .isLessThanOrEqualTo(max / 254.0 * 1.0001 + 1e-30);
            }
        }
    }

    @Test
    @Tag("task05_3")
    @Task(id = "task05_3", points = 5, title = "question: Sophia's state over AdamW's",
            explanation = "Sophia keeps a momentum and a diagonal Hessian estimate, two buffers the parameter's size: AdamW's "
                    + "8 bytes a parameter exactly. It may save steps (its paper's claim); it does not save memory.")
    void sophia() {
        Answers.near(Questions.sophiaOverAdamW(), 1.0, 0.01);
    }

    @Test
    @Tag("task05_4")
    @Task(id = "task05_4", points = 5, title = "question: 8-bit AdamW's bytes a parameter",
            explanation = "Two moments of one byte, and for each a float32 absmax per 256 elements: 2 + 8/256 = 2.03 bytes, "
                    + "against AdamW's 8. Blocks of 2048 (the paper's) would give 2.004.")
    void eightBit() {
        Answers.near(Questions.eightBitAdamWBytesPerParameter(), 2 + 8.0 / 256, 0.001);
    }
}
