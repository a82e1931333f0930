package org.memlean.nn;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Training;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;
import static org.assertj.core.api.Assertions.assertThat;

class GptTrainingTest {
    @Test
    void theDefaultGptLearnsReversal() {
        Rng.seed(1);
        ReversalTask task = new ReversalTask(4, 7);
        try (Gpt model = new Gpt(GptConfig.defaults())) {
            AdamW optimizer = new AdamW(model.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0.0);
            double first = Training.step(model, optimizer, task, 32);
            double last = first;
            for (int i = 1; i < 80; i++) last = Training.step(model, optimizer, task, 32);
            // untrained: logits near 0, so the loss is near ln 11 (uniform over the vocabulary)
            assertThat(first).isCloseTo(Math.log(ReversalTask.VOCAB), Offset.offset(0.05));
            // learned: a mean cross-entropy of 0.1 means the right digit gets e^−0.1 ≈ 90% of the
            // probability on average — the task is solved, not guessed (chance is ln 10 ≈ 2.3)
            assertThat(last).isLessThan(0.1);
            optimizer.close();
        }
    }
}
