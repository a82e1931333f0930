package org.memlean.exercises.ch00;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.grading.Answers;
import org.memlean.grading.Configs;
import org.memlean.grading.Seeds;
import org.memlean.grading.Task;
import org.memlean.lab.Anatomy;
import org.memlean.lab.Training;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryEvent;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;

/** Graded against the meter, at configurations drawn from the run's seed. */
class MemoryAnatomyTest {
    /** What may not be used to predict: building or running the model, or reading a meter. */
    private static final String NO_MEASURING_1 = "org.memlean.memory.";
    private static final String NO_MEASURING_2 = "org.memlean.nn.Gpt";
    private static final String NO_MEASURING_3 = "org.memlean.optim.";
    private static final String NO_MEASURING_4 = "org.memlean.data.";

    @Test
    @Tag("task00_1")
    @Task(id = "task00_1", points = 20, title = "predict the activations saved at the end of forward",
            forbids = {NO_MEASURING_1, NO_MEASURING_2, NO_MEASURING_3, NO_MEASURING_4})
    void savedActivationBytesMatchTheMeter() {
        SplittableRandom r = Seeds.forTest(getClass(), "savedActivationBytesMatchTheMeter");
        for (int i = 0; i < 3; i++) {
            int digits = 2 + r.nextInt(7);
            int batch = 1 + r.nextInt(24);
            GptConfig config = Configs.gpt(r, digits);
            Device.settle();
            try (Gpt model = new Gpt(config); MemoryMeter meter = MemoryMeter.start("activations");
                 Scope step = Scope.open()) {
                Batch data = new ReversalTask(digits, 2).next(batch);
                Tensor loss = model.loss(data.inputs(), data.targets());
                assertThat(MemoryAnatomy.savedActivationBytes(config, batch, 2L * digits, digits))
                        .as("%s, B=%d, T=%d, answer %d; %s", config, batch, 2 * digits, digits, Seeds.reproduce("00"))
                        .isEqualTo(meter.liveBytes(Category.ACTIVATION));
                loss.release();
            }
        }
    }

    /** The highest bytes a step holds in backward and in the optimizer phase, above the model states. */
    private record Moments(long backward, long optimizer) {}

    private static Moments measure(GptConfig config, int batch, int digits) {
        Rng.seed(1);
        try (Gpt model = new Gpt(config); AdamW adam = new AdamW(model.parameters(), 1e-3)) {
            ReversalTask task = new ReversalTask(digits, 3);
            Training.step(model, adam, task, batch);                  // creates AdamW's state
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("step")) {
                Training.step(model, adam, task, batch);
                long backward = 0;
                long optimizer = 0;
                String phase = "forward";
                for (MemoryEvent e : meter.timeline()) {
                    if (e.kind() == MemoryEvent.Kind.MARK) {
                        phase = e.label().startsWith("backward") ? "backward"
                                : e.label().equals("optimizer") || e.label().equals("step done") ? "optimizer" : e.label();
                    } else if (phase.equals("backward")) {
                        backward = Math.max(backward, e.ledgerLive());
                    } else if (phase.equals("optimizer")) {
                        optimizer = Math.max(optimizer, e.ledgerLive());
                    }
                }
                return new Moments(backward, optimizer);
            }
        }
    }

    @Test
    @Tag("task00_2")
    @Task(id = "task00_2", points = 20, title = "predict the step's peak and where it falls",
            forbids = {NO_MEASURING_1, NO_MEASURING_2, NO_MEASURING_3, NO_MEASURING_4})
    void thePredictedPeakIsTheMeasuredOneAndInItsPhase() {
        SplittableRandom r = Seeds.forTest(getClass(), "thePredictedPeakIsTheMeasuredOneAndInItsPhase");
        // a batch of 1 to 3 and the widest model: the optimizer's moment; a large batch: backward's
        int[] batches = {1 + r.nextInt(3), 12 + r.nextInt(20), 1 + r.nextInt(32)};
        for (int i = 0; i < batches.length; i++) {
            int digits = 3 + r.nextInt(6);
            GptConfig config = Configs.gpt(r, digits);
            if (i == 0) config = config.withLayers(3).withHeads(4).withChannels(64);
            Moments m = measure(config, batches[i], digits);
            long measured = Math.max(m.backward(), m.optimizer());
            boolean close = Math.abs(m.backward() - m.optimizer()) <= 0.15 * measured;
            String where = m.backward() >= m.optimizer() ? "backward" : "optimizer";
            MemoryAnatomy.Peak p = MemoryAnatomy.peak(config, batches[i], digits);
            String what = String.format("%s, B=%d, %d digits; %s", config, batches[i], digits, Seeds.reproduce("00"));
            assertThat(p).as(what).isNotNull();
            if (!close) assertThat(p.phase()).as("the phase of the peak: %s", what).isEqualTo(where);
            assertThat((double) p.bytes()).as("the peak above the model states (within 15 %%): %s", what)
                    .isBetween(0.85 * measured, 1.15 * measured);
        }
    }

    @Test
    @Tag("task00_3")
    @Task(id = "task00_3", points = 5, title = "question: a 7B model's states under mixed precision",
            explanation = "16 bytes a parameter — 2 (bf16 weight) + 2 (bf16 gradient) + 4 (float32 master) + 8 (AdamW's "
                    + "two float32 moments) — so 107.8 GB, 100.4 GiB: no single 80 GB GPU holds a 7B model's full "
                    + "fine-tuning states, before any activation. Chapters 5–7 attack each term.")
    void modelStates() {
        Answers.near(Questions.modelStatesGibibytes(), 16.0 * 6_738_415_616L / (1L << 30), 0.01);
    }

    @Test
    @Tag("task00_4")
    @Task(id = "task00_4", points = 5, title = "question: how far the peak lies above the end of forward",
            explanation = "The peak is not at the end of forward: early in backward the gradients of the last blocks' "
                    + "activations and the MLP backward's scratch are alive while most saved activations still are. "
                    + "A model of the end of forward alone underestimates the step.")
    void peakAboveEndOfForward() {
        Anatomy.Result a = Anatomy.run(GptConfig.defaults(), 32, 8);
        long endOfForward = a.measuredEndOfForward().values().stream().mapToLong(Long::longValue).sum();
        Answers.near(Questions.peakAboveEndOfForwardKibibytes(), (a.measuredPeakBytes() - endOfForward) / 1024.0, 0.05);
    }
}
