package org.memlean.exercises.ch10;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.ch10.Albert;
import org.memlean.grading.Task;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Conv2d;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Graded against the framework's own parameter counts and the meter. */
class SizesTest {
    @Test
    @Tag("task10_1")
    @Task(id = "task10_1", points = 20, title = "ALBERT's factorised embedding, counted")
    void yourEmbeddingCountIsTheEncoders() {
        int[][] cases = {{512, 16, 64}, {1000, 32, 48}, {300, 24, 96}, {30000, 128, 768}};
        for (int[] c : cases) {
            int v = c[0], e = c[1], h = c[2];
            Albert.Spec factorised = new Albert.Spec(v, 8, 2, e, h, 1, 4, Albert.Sharing.NONE, 0);
            Albert.Spec bert = factorised.withEmbedding(h);
            // the framework's count: the encoders differ only in their embeddings
            long framework = Albert.parameterCount(bert) - Albert.parameterCount(factorised)
                    - (8L + 2) * (h - e) - 2L * (h - e);                  // positions, types and the norm are E wide too
            assertThat(Sizes.embeddingSaving(v, e, h)).as("V=%d, E=%d, H=%d: the saving", v, e, h).isEqualTo(framework);
            assertThat(Sizes.factorisedEmbedding(v, e, h)).as("V=%d, E=%d, H=%d", v, e, h)
                    .isEqualTo((long) v * h - framework);
        }
        {
            try (Albert.Encoder small = new Albert.Encoder(new Albert.Spec(512, 8, 2, 16, 64, 1, 4, Albert.Sharing.NONE, 0))) {
                long word = small.namedParameters().get("embeddings.word.weight").length();
                long projection = small.namedParameters().get("projection.weight").length()
                        + small.namedParameters().get("projection.bias").length();
                assertThat(Sizes.factorisedEmbedding(512, 16, 64)).as("against the built modules").isEqualTo(word + projection);
            }
        }
    }

    @Test
    @Tag("task10_2")
    @Task(id = "task10_2", points = 20, title = "a depthwise-separable convolution: weights and activations")
    void yourSeparableConvolutionMatchesTheModulesAndTheMeter() {
        int[][] cases = {{16, 32, 3, 2, 8}, {24, 24, 5, 1, 6}, {8, 64, 3, 4, 4}};
        for (int[] c : cases) {
            int in = c[0], out = c[1], k = c[2], b = c[3], s = c[4];
            try (Conv2d depthwise = new Conv2d(in, in, k, 1, (k - 1) / 2, in, false, DataType.FLOAT);
                 Conv2d pointwise = new Conv2d(in, out, 1, 1, 0, 1, false, DataType.FLOAT)) {
                assertThat(Sizes.separableParameters(in, out, k)).as("%d→%d, k=%d: weights", in, out, k)
                        .isEqualTo(depthwise.parameterCount() + pointwise.parameterCount());
                Tensor input = Tensor.of(new float[b * in * s * s], DataType.FLOAT, Category.INPUT, b, in, s, s);
                Device.settle();
                long saved;
                try (Scope scope = Scope.open()) {
                    Tensor x = input.mul(1.0);                 // as inside a network: the previous layer's output
                    MemoryMeter meter = MemoryMeter.start("separable", false);
                    Tensor d = depthwise.forward(x);
                    Tensor p = pointwise.forward(d);
                    meter.close();
                    // the input x was allocated before the meter: count what is saved now, in both meters
                    saved = x.storage().category() == Category.ACTIVATION ? x.bytes() : 0;
                    saved += meter.liveByCategory().get(Category.ACTIVATION);
                    assertThat(p.shape()).containsExactly(b, out, s, s);
                }
                assertThat(Sizes.separableActivationBytes(b, in, s, s)).as("B=%d, %d channels, %d×%d: activations", b, in, s, s)
                        .isEqualTo(saved);
                input.release();
            }
        }
    }
}
