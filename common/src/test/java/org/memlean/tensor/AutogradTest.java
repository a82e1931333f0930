package org.memlean.tensor;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AutogradTest {
    @Test
    void aSavedTensorModifiedInPlaceIsCaughtInBackwardNamingTheOpAndTheTensor() {
        try (Scope s = Scope.open()) {
            Tensor w = Tensor.of(new float[] {1, 2, 3}, DataType.FLOAT, Category.PARAMETER, 3).requiresGrad(true);
            Tensor h = w.mul(2.0);
            Tensor y = h.tanh();                 // Tanh saves its output y (its gradient is 1 − y²)
            Tensor z = y.exp().sum();
            try (GradMode.Guard g = GradMode.noGrad()) {
                y.mulInPlace(0.5);               // bumps y's version after Tanh saved it
            }
            assertThatThrownBy(z::backward).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("modified by an in-place operation")
                    .hasMessageContaining("of Tanh")
                    .hasMessageContaining("FLOAT [3]")
                    .hasMessageContaining("version 0 when saved and is at version 1");
            w.storage().free();
        }
    }

    @Test
    void inPlaceOnALeafThatRequiresGradIsRefusedWhileRecording() {
        Tensor w = Tensor.of(new float[] {1, 2}, DataType.FLOAT, Category.PARAMETER, 2).requiresGrad(true);
        assertThatThrownBy(() -> w.mulInPlace(2)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a leaf that requires grad cannot be modified in place");
        try (GradMode.Guard g = GradMode.noGrad()) {
            w.mulInPlace(2);                     // what an optimizer does: allowed under no-grad
        }
        assertThat(w.toFloatArray()).containsExactly(2, 4);
        assertThat(w.storage().version()).isEqualTo(1);
        w.storage().free();
    }

    @Test
    void underNoGradNothingIsSavedAndTheOutputNeedsNoGradient() {
        Device.settle();
        try (Gpt model = new Gpt(GptConfig.defaults()); MemoryMeter meter = MemoryMeter.start("no-grad");
             Scope s = Scope.open(); GradMode.Guard g = GradMode.noGrad()) {
            var batch = new ReversalTask(4, 1).next(8);
            Tensor loss = model.loss(batch.inputs(), batch.targets());
            assertThat(loss.requiresGrad()).isFalse();
            assertThat(meter.maxByCategory().get(Category.ACTIVATION)).isZero();
            assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("does not require grad");
        }
    }

    @Test
    void backwardReleasesSavedTensorsAsItGoes() {
        Device.settle();
        try (Gpt model = new Gpt(GptConfig.defaults()); MemoryMeter meter = MemoryMeter.start("drain");
             Scope s = Scope.open()) {
            var batch = new ReversalTask(4, 1).next(8);
            Tensor loss = model.loss(batch.inputs(), batch.targets());
            assertThat(meter.liveBytes(Category.ACTIVATION)).isPositive();
            loss.backward();
            assertThat(meter.liveBytes(Category.ACTIVATION)).isZero();
            assertThat(meter.liveBytes(Category.GRADIENT)).isEqualTo(4 * model.parameterCount());
            assertThat(model.parameterCount()).isEqualTo(GptConfig.defaults().parameterCount());
            assertThatThrownBy(loss::backward).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("a second time");
            model.parameters().forEach(p -> p.zeroGrad(true));
        }
    }

    @Test
    void halfAndBfloat16StorageHalveActivationsAndKeepTheirDtype() {
        long[] activation = new long[3];
        double[] losses = new double[3];
        DataType[] types = {DataType.FLOAT, DataType.HALF, DataType.BFLOAT16};
        for (int i = 0; i < types.length; i++) {
            Device.settle();
            Rng.seed(9);
            try (MemoryMeter meter = MemoryMeter.start(types[i].name());
                 Gpt model = new Gpt(GptConfig.defaults().withDataType(types[i])); Scope s = Scope.open()) {
                var batch = new ReversalTask(4, 1).next(8);
                Tensor loss = model.loss(batch.inputs(), batch.targets());
                activation[i] = meter.liveBytes(Category.ACTIVATION);
                losses[i] = loss.item();
                loss.backward();
                for (Tensor p : model.parameters()) assertThat(p.grad().dtype()).isEqualTo(types[i]);
                assertThat(meter.liveBytes(Category.PARAMETER)).isEqualTo(
                        GptConfig.defaults().parameterCount() * types[i].width());
                model.parameters().forEach(p -> p.zeroGrad(true));
            }
        }
        // layer norm keeps its per-row mean and 1/std in FLOAT, as PyTorch does: not quite half
        assertThat(activation[1]).isEqualTo(activation[2]).isLessThan(activation[0] / 2 + activation[0] / 50);
        // the same initial weights, rounded: bf16 keeps 8 significant bits (2⁻⁹ relative), half 11; an
        // untrained model's loss (≈ ln 11, logits near 0) moves by a few times that at most
        assertThat(losses[1]).isCloseTo(losses[0], Offset.offset(8 * Math.pow(2, -11)));
        assertThat(losses[2]).isCloseTo(losses[0], Offset.offset(8 * Math.pow(2, -8)));
    }
}
