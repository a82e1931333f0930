package org.memlean.exercises.ch08;

import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.ch08.Evaluation;
import org.memlean.data.Examples;
import org.memlean.data.ReversalTask;
import org.memlean.grading.Task;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.LeakCheck;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;
import static org.assertj.core.api.Assertions.assertThat;

/** Graded by the leak detector and the meter, and by whether the loops still do their job. */
class LoopsTest {
    private static final GptConfig CONFIG = GptConfig.defaults();

    @Test
    @Tag("task08_1")
    @Task(id = "task08_1", points = 20, title = "a training loop that leaks nothing and still trains")
    void yourTrainingLoopGrowsByZeroBytesAndTheLossFalls() {
        Rng.seed(3);
        try (Gpt model = new Gpt(CONFIG); AdamW adam = new AdamW(model.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0)) {
            ReversalTask task = new ReversalTask(4, 7);
            LeakCheck.run(1, 5, i -> Loops.train(model, adam, task, 16, 1)).assertNoLeak("your training loop");
            double[] curve = Loops.train(model, adam, task, 16, 40);
            assertThat(curve).hasSize(40);
            assertThat(curve[39]).as("the loss after 45 steps").isLessThan(curve[0] - 0.3);
        }
    }

    @Test
    @Tag("task08_2")
    @Task(id = "task08_2", points = 20, title = "an evaluation that saves nothing and keeps nothing")
    void yourEvaluationHoldsNoActivationsAndItsPeakIsTheInferenceFormula() {
        Rng.seed(4);
        try (Gpt model = new Gpt(CONFIG)) {
            ReversalTask task = new ReversalTask(8, 2);
            List<Examples> batches = new ArrayList<>();
            for (int i = 0; i < 4; i++) batches.add(task.nextExamples(32));
            double expected = 0;
            for (Examples e : batches) expected += Evaluation.batch(model, e, false).loss();
            expected /= batches.size();
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("your evaluation", false)) {
                double got = Loops.evaluate(model, batches);
                assertThat(got).as("the mean loss").isCloseTo(expected, Offset.offset(1e-6));
                assertThat(meter.maxByCategory().get(Category.ACTIVATION)).as("activation bytes saved").isZero();
                long inFlight = CONFIG.inferenceInFlightBytes(32, 16) + 4 * 32 * (16 + 8);   // + a batch's ids and targets
                assertThat(meter.peakBytes()).as("the peak above the parameters").isLessThanOrEqualTo(inFlight);
                assertThat(meter.liveBytes()).as("left after the evaluation").isZero();
            }
            assertThat(model.isTraining()).as("the model is back in training mode").isTrue();
        }
    }
}
