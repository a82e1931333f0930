package org.memlean.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.memlean.memory.Category;
import org.memlean.memory.Scope;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

class OptimizerTest {
    private static Tensor param(float... values) {
        return Tensor.of(values, DataType.FLOAT, Category.PARAMETER, values.length).requiresGrad(true);
    }

    /** Sets p.grad = g through autograd: loss = sum(p * g). */
    private static void gradient(Tensor p, float... g) {
        try (Scope s = Scope.open()) {
            p.mul(Tensor.of(g, g.length)).sum().backward();
        }
    }

    @Test
    void sgdWithMomentumAndWeightDecayFollowsPyTorchsRule() {
        Tensor p = param(1f, -2f);
        Sgd sgd = new Sgd(List.of(p), 0.1, 0.9, 0.01);
        gradient(p, 0.5f, 1f);
        sgd.step();
        // g' = g + 0.01 p = (0.51, 0.98); v = g'; p = p - 0.1 v
        assertThat(p.toFloatArray()[0]).isCloseTo(1 - 0.051f, offset(1e-6f));
        assertThat(p.toFloatArray()[1]).isCloseTo(-2 - 0.098f, offset(1e-6f));
        sgd.zeroGrad(false);
        assertThat(p.grad().toFloatArray()).containsOnly(0f);
        gradient(p, 0.5f, 1f);
        sgd.step();
        // v = 0.9 v + g'(p1)
        double p1 = 1 - 0.051;
        double v = 0.9 * 0.51 + (0.5 + 0.01 * p1);
        assertThat((double) p.toFloatArray()[0]).isCloseTo(p1 - 0.1 * v, offset(1e-6));
        assertThat(sgd.stateBytes()).isEqualTo(8);
        sgd.zeroGrad(true);
        assertThat(p.grad()).isNull();
        sgd.close();
        p.storage().free();
    }

    @Test
    void adamWFirstStepMovesEachWeightByLrTimesTheSignOfItsGradient() {
        Tensor p = param(1f, -2f, 3f);
        AdamW adam = new AdamW(List.of(p), 0.1, 0.9, 0.999, 1e-8, 0.0);
        assertThat(adam.stateBytes()).isZero(); // lazily allocated
        gradient(p, 0.5f, -4f, 0f);
        adam.step();
        assertThat(adam.stateBytes()).isEqualTo(2 * 3 * 4);
        float[] after = p.toFloatArray();
        assertThat(after[0]).isCloseTo(0.9f, offset(1e-5f));
        assertThat(after[1]).isCloseTo(-1.9f, offset(1e-5f));
        assertThat(after[2]).isCloseTo(3f, offset(1e-6f));
        adam.close();
        p.storage().free();
    }

    /**
     * Five steps against PyTorch's AdamW computed here in double precision, with gradients from
     * 1e-9 (where √v̂ is of the order of ε, so where ε sits matters: libnd4j's fused kernel puts it
     * elsewhere and is given a rescaled ε) to 10.
     */
    @Test
    void adamWFollowsPyTorchsFormulaOverStepsIncludingWhereEpsilonMatters() {
        float[] start = {1f, -2f, 0.5f, 3f, -0.25f};
        float[] grads = {1e-9f, -3e-9f, 2e-8f, 0.5f, -10f};
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
        Tensor p = param(start.clone());
        AdamW adam = new AdamW(List.of(p), lr, b1, b2, eps, wd);
        double[] ref = new double[start.length];
        double[] m = new double[start.length];
        double[] v = new double[start.length];
        for (int i = 0; i < start.length; i++) ref[i] = start[i];
        for (int t = 1; t <= 5; t++) {
            adam.zeroGrad(false);
            float[] g = new float[start.length];
            for (int i = 0; i < g.length; i++) g[i] = grads[i] * (1 + 0.1f * t);
            gradient(p, g);
            adam.step();
            for (int i = 0; i < g.length; i++) {   // torch.optim.AdamW, single tensor
                ref[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * (double) g[i] * g[i];
                double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
                ref[i] -= lr / (1 - Math.pow(b1, t)) * m[i] / denom;
            }
            float[] got = p.toFloatArray();
            for (int i = 0; i < g.length; i++) {
                assertThat((double) got[i]).as("step %d, element %d", t, i).isCloseTo(ref[i], offset(2e-6));
            }
        }
        adam.close();
        p.storage().free();
    }

    @Test
    void adamWDecaysWeightsDecoupledFromTheGradient() {
        Tensor p = param(2f);
        AdamW adam = new AdamW(List.of(p), 0.1, 0.9, 0.999, 1e-8, 0.5);
        gradient(p, 0f);
        adam.step();
        assertThat(p.toFloatArray()[0]).isCloseTo(2f * (1 - 0.1f * 0.5f), offset(1e-6f));
        adam.close();
        p.storage().free();
    }

    @Test
    void badHyperparametersAreRefusedByName() {
        Tensor p = param(1f);
        assertThatThrownBy(() -> new AdamW(List.of(p), -1)).hasMessageContaining("lr=-1.0");
        assertThatThrownBy(() -> new Sgd(List.of(p), 0.1, 1.0, 0)).hasMessageContaining("momentum=1.0");
        assertThatThrownBy(() -> new Sgd(List.of(), 0.1, 0, 0)).hasMessageContaining("at least one parameter");
        p.storage().free();
    }

    /**
     * AdamW's formula, one kernel a line, and its fused fast path give the same bits: parameters and
     * both moments, over 40 steps (the bias corrections matter early, ε late), with weight decay,
     * gradients from 1e-9 to 10 and of both signs. A wrong line in either fails it.
     */
    @Test
    void adamWAsWrittenAndFusedGiveTheSameBits() {
        float[] start = new float[257];
        for (int i = 0; i < start.length; i++) start[i] = (float) Math.sin(i * 0.7) * 2;
        float[][] result = new float[2][];
        float[][] moments = new float[2][];
        for (int fused = 0; fused < 2; fused++) {
            Tensor p = param(start.clone());
            AdamW adam = new AdamW(List.of(p), new AdamSettings(3e-3, 0.9, 0.99, 1e-8, 0.05)).fused(fused == 1);
            for (int step = 1; step <= 40; step++) {
                float[] g = new float[start.length];
                for (int i = 0; i < g.length; i++) g[i] = (float) (Math.cos(i * 1.3 + step) * Math.pow(10, i % 11 - 9));
                gradient(p, g);
                adam.step();
                adam.zeroGrad(true);
            }
            result[fused] = p.toFloatArray();
            float[] m = adam.stateOf(p).get("exp_avg").toFloatArray();
            float[] v = adam.stateOf(p).get("exp_avg_sq").toFloatArray();
            moments[fused] = new float[m.length + v.length];
            System.arraycopy(m, 0, moments[fused], 0, m.length);
            System.arraycopy(v, 0, moments[fused], m.length, v.length);
            adam.close();
            p.storage().free();
        }
        assertThat(result[0]).isNotEqualTo(start);
        assertThat(moments[0]).containsExactly(moments[1]);
        assertThat(result[0]).containsExactly(result[1]);
    }
}
