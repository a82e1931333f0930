package org.memlean.nn;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.memlean.memory.Scope;
import org.memlean.tensor.Arithmetic;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every composite calls its parts by name at forward time: replacing any part changes what runs. */
class CompositePartsTest {
    /** Wraps a part, notes that it ran, and shifts its output by 0.5 so the model's output changes. */
    static final class Marker extends Layer {
        boolean ran;

        Marker(Layer inner) {
            child("inner", inner);
        }

        @Override
        public Tensor forward(Tensor x) {
            ran = true;
            Tensor y = part("inner").forward(x);
            Tensor out = Arithmetic.addScalar(y, 0.5);
            y.release();
            return out;
        }
    }

    private static float[] logits(Gpt model) {
        try (Scope s = Scope.open(); GradMode.Guard g = GradMode.noGrad()) {
            Tensor ids = Tensor.ofInts(new int[] {1, 2, 3, 4, 10, 4, 3, 2}, 1, 8);
            return model.forward(ids).toFloatArray();
        }
    }

    private static void replaceEachPart(Gpt model, Layer owner, List<String> parts, float[] reference) {
        for (String name : parts) {
            Layer original = owner.children().get(name);
            Marker marker = new Marker(original);
            assertThat(owner.replaceChild(name, marker)).as("replaceChild returns what it replaced").isSameAs(original);
            float[] changed = logits(model);
            owner.replaceChild(name, original);
            assertThat(marker.ran).as("%s.%s ran after it was replaced", owner.getClass().getSimpleName(), name).isTrue();
            assertThat(changed).as("%s.%s changed the output", owner.getClass().getSimpleName(), name)
                    .isNotEqualTo(reference);
        }
        assertThat(logits(model)).as("restored").isEqualTo(reference);
    }

    @Test
    void replacingAnyPartOfAnyCompositeChangesWhatRuns() {
        Rng.seed(1);
        try (Gpt model = new Gpt(GptConfig.defaults())) {
            float[] reference = logits(model);
            replaceEachPart(model, model, List.of("tokens", "positions", "dropout", "blocks.0", "blocks.1", "norm", "head"),
                    reference);
            Layer block = model.blocks().get(0);
            replaceEachPart(model, block, List.of("norm1", "attn", "norm2", "mlp"), reference);
            replaceEachPart(model, block.children().get("attn"),
                    List.of("qkv", "proj", "attentionDropout", "residualDropout"), reference);
            replaceEachPart(model, block.children().get("mlp"), List.of("fc", "gelu", "proj", "dropout"), reference);
        }
    }

    @Test
    void replacingAChildThatDoesNotExistNamesTheChildrenThatDo() {
        try (Gpt model = new Gpt(GptConfig.defaults())) {
            Layer attn = model.blocks().get(0).children().get("attn");
            assertThatThrownBy(() -> attn.replaceChild("q", new Gelu())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no child named 'q'").hasMessageContaining("[qkv, proj, attentionDropout, residualDropout]");
            assertThatThrownBy(() -> model.replaceBlock(2, new Gelu())).hasMessageContaining("out of range 0..1");
        }
    }

    @Test
    void aCausalModelIgnoresTheFutureAndAnEncoderDoesNot() {
        for (boolean causal : new boolean[] {true, false}) {
            Rng.seed(2);
            try (Gpt model = new Gpt(GptConfig.defaults().withCausal(causal)); Scope s = Scope.open();
                 GradMode.Guard g = GradMode.noGrad()) {
                float[] a = model.forward(Tensor.ofInts(new int[] {1, 2, 3, 4}, 1, 4)).toFloatArray();
                float[] b = model.forward(Tensor.ofInts(new int[] {1, 2, 3, 9}, 1, 4)).toFloatArray();
                int v = GptConfig.defaults().vocabSize();
                float[] firstA = Arrays.copyOf(a, v);
                float[] firstB = Arrays.copyOf(b, v);
                if (causal) assertThat(firstB).as("position 0 of a causal model").isEqualTo(firstA);
                else assertThat(firstB).as("position 0 of an encoder sees the last token").isNotEqualTo(firstA);
            }
        }
    }
}
