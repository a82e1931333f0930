package org.memlean.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memlean.memory.Category;
import org.memlean.nn.GptConfig;

class AnatomyTest {
    @Test
    void theEndOfForwardMatchesTheAnalyticModelToTheByteAtSeveralSizes() {
        for (int[] size : new int[][] {{16, 4, 2}, {8, 6, 1}, {4, 3, 3}}) {
            GptConfig config = GptConfig.defaults().withLayers(size[2]);
            Anatomy.Result r = Anatomy.run(config, size[0], size[1]);
            System.out.println("B=" + size[0] + " n=" + size[1] + " L=" + size[2] + " measured " + r.measuredEndOfForward()
                    + "\n   predicted " + r.predictedEndOfForward() + "\n   peak " + r.measuredPeakBytes() + " "
                    + r.measuredPeakByCategory());
            assertThat(r.measuredEndOfForward()).isEqualTo(r.predictedEndOfForward());
            assertThat(r.measuredOptimizerStep()).isEqualTo(r.predictedOptimizerStep());
            long predictedTotal = Anatomy.total(r.predictedPeakByCategory());
            assertThat(r.measuredPeakBytes()).isGreaterThanOrEqualTo(predictedTotal);
            Map<Category, Long> max = r.maxByCategory();
            assertThat(max.get(Category.GRADIENT)).isEqualTo(4 * config.parameterCount());
        }
    }
}
