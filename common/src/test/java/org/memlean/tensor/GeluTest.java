package org.memlean.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;
import org.memlean.memory.Scope;

/**
 * GELU is computed as x·σ(2u); these check it is the tanh form PyTorch's {@code gelu(approximate="tanh")}
 * computes, 0.5·x·(1 + tanh(u)), in value and in slope, from −10 to 10 (in double, here).
 */
class GeluTest {
    private static double tanhForm(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    private static float[] grid() {
        float[] x = new float[81];
        for (int i = 0; i < x.length; i++) x[i] = -10f + 0.25f * i;
        return x;
    }

    @Test
    void valuesAreTheTanhFormWithinFloatRounding() {
        float[] x = grid();
        try (Scope s = Scope.open()) {
            float[] y = Tensor.of(x, x.length).gelu().toFloatArray();
            for (int i = 0; i < x.length; i++) {
                assertThat((double) y[i]).as("gelu(%s)", x[i]).isCloseTo(tanhForm(x[i]), offset(1e-6 * Math.max(1, Math.abs(x[i]))));
            }
        }
    }

    @Test
    void slopesAreTheTanhFormsDerivative() {
        float[] x = grid();
        try (Scope s = Scope.open()) {
            Tensor t = Tensor.of(x, x.length).requiresGrad(true);
            t.gelu().sum().backward();
            float[] slope = t.grad().toFloatArray();
            for (int i = 0; i < x.length; i++) {
                double h = 1e-4;
                double expected = (tanhForm(x[i] + h) - tanhForm(x[i] - h)) / (2 * h);
                assertThat((double) slope[i]).as("gelu'(%s)", x[i]).isCloseTo(expected, offset(2e-6));
            }
        }
    }
}
