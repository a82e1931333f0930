package org.memlean.tensor;

import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.memlean.memory.Category;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * In-place ops give the out-of-place ops' values and gradients bit for bit while allocating one buffer
 * fewer; the version counter catches the in-place writes that would corrupt a gradient.
 */
class InPlaceTest {
    private static Tensor param(long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] v = new float[n];
        SplittableRandom r = new SplittableRandom(n);
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, DataType.FLOAT, Category.PARAMETER, shape).requiresGrad(true);
    }

    /** w·3 → op → ·(1, 2, …) → sum: the gradient of w, with the op out of place or in place. */
    private static float[] gradient(Tensor w, UnaryOperator<Tensor> op) {
        try (Scope s = Scope.open()) {
            Tensor h = w.mul(3.0);                                  // a non-leaf the op may overwrite
            Tensor y = op.apply(h);
            float[] weights = new float[(int) y.length()];
            for (int i = 0; i < weights.length; i++) weights[i] = i + 1;
            y.mul(Tensor.of(weights, y.shape())).sum().backward();
        }
        float[] g = w.grad().toFloatArray();
        w.zeroGrad(true);
        return g;
    }

    @Test
    void everyInPlaceOpHasItsOutOfPlaceGradientBitForBit() {
        Tensor w = param(2, 3, 4, 4);
        Tensor other = Tensor.of(new float[] {1, -2, 3, -4}, 4);
        assertThat(gradient(w, InPlace::relu)).containsExactly(gradient(w, Tensor::relu));
        assertThat(gradient(w, InPlace::sigmoid)).containsExactly(gradient(w, Tensor::sigmoid));
        assertThat(gradient(w, InPlace::tanh)).containsExactly(gradient(w, Tensor::tanh));
        assertThat(gradient(w, InPlace::softmax)).containsExactly(gradient(w, Tensor::softmax));
        assertThat(gradient(w, x -> InPlace.scale(x, 0.25))).containsExactly(gradient(w, x -> x.mul(0.25)));
        assertThat(gradient(w, x -> InPlace.add(x, other))).containsExactly(gradient(w, x -> x.add(other)));
        assertThat(gradient(w, x -> InPlace.softmax(InPlace.causalMask(x))))
                .containsExactly(gradient(w, x -> Masks.causalMask(x).softmax()));
        Rng.seed(5);
        float[] outOfPlace = gradient(w, x -> Masks.dropout(x, 0.5, true));
        Rng.seed(5);
        assertThat(gradient(w, x -> InPlace.dropout(x, 0.5, true))).containsExactly(outOfPlace);
        w.storage().free();
        other.release();
    }

    @Test
    void anOpThatUsedTheValueBeforeGetsItsGradientThere() {
        // h is used by a product before relu_ overwrites it: the product's gradient must reach h, not pass the relu
        Tensor w = param(6);
        float[] expected;
        float[] got;
        try (Scope s = Scope.open()) {
            Tensor h = w.mul(1.0);
            Tensor used = h.mul(h);                     // saves h (version 0)…
            used.sum().backward();                      // …and is done with it before h changes
            expected = w.grad().toFloatArray();
        }
        w.zeroGrad(true);
        try (Scope s = Scope.open()) {
            Tensor h = w.mul(1.0);
            Tensor scaled = h.mul(5.0);                 // uses h, saves nothing
            InPlace.relu(h);
            scaled.sum().add(h.sum()).backward();       // d/dw: 5 + relu'(w)
            got = w.grad().toFloatArray();
        }
        float[] values = w.toFloatArray();
        for (int i = 0; i < values.length; i++) assertThat(got[i]).isEqualTo(5f + (values[i] > 0 ? 1f : 0f));
        assertThat(expected).hasSize(6);
        w.zeroGrad(true);
        w.storage().free();
    }

    @Test
    void anInPlaceWriteToASavedTensorIsCaughtNamingTheTensorTheOpTheVersionsAndTheWriter() {
        Tensor w = param(2, 4, 4);
        try (Scope s = Scope.open()) {
            Tensor p = w.mul(1.0).softmax().named("probabilities");    // softmax saves its output
            InPlace.dropout(p, 0.5, true);                              // …which dropout_ then overwrites
            Tensor loss = p.sum();
            assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("modified by an in-place operation")
                    .hasMessageContaining("of Softmax")
                    .hasMessageContaining("'probabilities'")
                    .hasMessageContaining("was at version 0 when saved and is at version 1 now")
                    .hasMessageContaining("last modified by dropout_");
        }
        w.storage().free();
    }

    @Test
    void aLeafThatRequiresGradIsRefusedAndGeluInPlaceOnlyUnderNoGrad() {
        Tensor w = param(3);
        assertThatThrownBy(() -> InPlace.relu(w)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("relu_").hasMessageContaining("a leaf that requires grad cannot be modified in place");
        try (Scope s = Scope.open()) {
            Tensor h = w.mul(2.0);
            assertThatThrownBy(() -> InPlace.gelu(h)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("GELU's backward needs its input");
            try (GradMode.Guard g = GradMode.noGrad()) {
                Tensor x = Tensor.of(new float[] {-1, 0, 2}, 3);
                Tensor expected = x.gelu();
                assertThat(InPlace.gelu(x).toFloatArray()).containsExactly(expected.toFloatArray());
                InPlace.relu(w);                                        // an optimizer's kind of write: allowed
            }
        }
        w.storage().free();
    }

    @Test
    void inPlaceAllocatesNoOutputBuffer() {
        Tensor w = param(8, 64);
        long outOfPlace;
        long inPlace;
        try (Scope s = Scope.open()) {
            Tensor h = w.mul(1.0);
            try (MemoryMeter m = MemoryMeter.start("out of place", false)) {
                h.relu();
                outOfPlace = m.ledgerPeakBytes();
            }
            try (MemoryMeter m = MemoryMeter.start("in place", false)) {
                InPlace.relu(h);
                inPlace = m.ledgerPeakBytes();
            }
        }
        assertThat(outOfPlace).isEqualTo(8 * 64 * 4);
        assertThat(inPlace).isZero();
        w.storage().free();
    }
}
