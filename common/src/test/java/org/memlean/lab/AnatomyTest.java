package org.memlean.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.memlean.memory.Category;
import org.memlean.nn.GptConfig;

class AnatomyTest {
    /**
     * Four configurations whose peaks fall in four different places: the last block's GELU
     * backward (activations dominate), the first block's (parameters' gradients dominate), the
     * optimizer step (tiny batch), the softmax backward (T² dominates).
     */
    private static final Object[][] CASES = {
            {GptConfig.defaults(), 32, 8, "GeluBackward of block 2"},
            {GptConfig.defaults(), 2, 8, "GeluBackward of block 1"},
            {GptConfig.defaults().withLayers(3), 4, 3, "optimizer: AdamW workspace"},
            {GptConfig.defaults().withLayers(1).withChannels(16).withBlockSize(64), 4, 32, "SoftmaxBackward of block 1"}};

    @Test
    void theStepModelPredictsTheTruePeakWhereItFallsAndItsBreakdown() {
        for (Object[] c : CASES) {
            GptConfig config = (GptConfig) c[0];
            Anatomy.Result r = Anatomy.run(config, (int) c[1], (int) c[2]);
            String what = config + ", B=" + c[1] + ", digits " + c[2];
            assertThat(Math.abs(r.peakError())).as("peak within 2%%: %s", what).isLessThan(0.02);
            assertThat(r.predictedPeak().at()).as(what).contains((String) c[3]);
            String measuredOp = r.measuredPeakAt().replaceFirst(":scratch$", "");
            assertThat(r.predictedPeak().at()).as("measured at %s", r.measuredPeakAt())
                    .contains(measuredOp.substring(measuredOp.indexOf(": ") + 2));
            for (Category cat : Category.values()) {
                long measured = r.measuredPeakByCategory().get(cat);
                long predicted = r.predictedPeak().byCategory().get(cat);
                assertThat((double) Math.abs(predicted - measured)).as("%s at the peak, %s", cat, what)
                        .isLessThanOrEqualTo(0.02 * r.measuredPeakBytes());
            }
        }
    }

    @Test
    void theEndOfForwardAndTheOptimizerStepMatchTheirModelsToTheByte() {
        for (int[] size : new int[][] {{16, 4, 2}, {8, 6, 1}, {4, 3, 3}}) {
            GptConfig config = GptConfig.defaults().withLayers(size[2]);
            Anatomy.Result r = Anatomy.run(config, size[0], size[1]);
            assertThat(r.measuredEndOfForward()).isEqualTo(r.predictedEndOfForward());
            assertThat(r.measuredOptimizerStep()).isEqualTo(r.predictedOptimizerStep());
            assertThat(r.maxByCategory().get(Category.GRADIENT)).isEqualTo(4 * config.parameterCount());
        }
    }
}
