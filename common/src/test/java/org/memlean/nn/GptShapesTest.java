package org.memlean.nn;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memlean.tensor.Tensor;
import static org.assertj.core.api.Assertions.assertThat;

class GptShapesTest {
    @Test
    void theShapesByFormulaAreTheModulesOwnInTheirOrder() {
        for (GptConfig config : new GptConfig[] {GptConfig.defaults(), GptConfig.defaults().withLayers(3).withChannels(32)
                .withVocabSize(17).withBlockSize(9)}) {
            try (Gpt model = new Gpt(config)) {
                Map<String, Tensor> actual = model.namedParameters();
                Map<String, long[]> predicted = config.parameterShapes();
                assertThat(predicted.keySet()).containsExactlyElementsOf(actual.keySet());
                actual.forEach((name, t) -> assertThat(predicted.get(name)).as(name).containsExactly(t.shape()));
                long n = predicted.values().stream().mapToLong(s -> Arrays.stream(s).reduce(1, (a, b) -> a * b)).sum();
                assertThat(n).isEqualTo(model.parameterCount()).isEqualTo(config.parameterCount());
            }
        }
    }
}
