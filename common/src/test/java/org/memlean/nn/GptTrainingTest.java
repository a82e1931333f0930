package org.memlean.nn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Training;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;

class GptTrainingTest {
    @Test
    void theDefaultGptLearnsReversal() {
        Rng.seed(1);
        ReversalTask task = new ReversalTask(4, 7);
        try (Gpt model = new Gpt(GptConfig.defaults())) {
            AdamW optimizer = new AdamW(model.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0.0);
            double first = Training.step(model, optimizer, task, 32);
            double last = first;
            long start = System.nanoTime();
            for (int i = 1; i < 80; i++) last = Training.step(model, optimizer, task, 32);
            System.out.printf("reversal: loss %.3f -> %.3f in 80 steps, %.1f s%n", first, last,
                    (System.nanoTime() - start) / 1e9);
            assertThat(first).isCloseTo(ReversalTask.chanceLoss(), org.assertj.core.data.Offset.offset(0.3));
            assertThat(last).isLessThan(0.1);
            optimizer.close();
        }
    }
}
