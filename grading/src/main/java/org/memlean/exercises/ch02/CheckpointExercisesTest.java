package org.memlean.exercises.ch02;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.ch02.Checkpoint;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.grading.Answers;
import org.memlean.grading.Configs;
import org.memlean.grading.Seeds;
import org.memlean.grading.Task;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;

/** Graded: your checkpoint against the plain model (bit for bit, and in memory); your k against the meter. */
class CheckpointExercisesTest {

    /** Gradients of all parameters after one backward, and the highest ACTIVATION reading. */
    private record Run(List<float[]> gradients, long activations) {}

    private static Run run(GptConfig config, int digits, int batch, boolean checkpoint) {
        Rng.seed(4);
        try (Gpt model = new Gpt(config)) {
            if (checkpoint) {
                for (int i = 0; i < config.layers(); i++) model.replaceBlock(i, new MyCheckpoint(model.blocks().get(i)));
            }
            Device.settle();
            long activations;
            try (MemoryMeter meter = MemoryMeter.start("run"); Scope s = Scope.open()) {
                Rng.seed(5);
                Batch b = new ReversalTask(digits, 6).next(batch);
                model.loss(b.inputs(), b.targets()).backward();
                activations = meter.maxByCategory().get(Category.ACTIVATION);
            }
            List<float[]> grads = new ArrayList<>();
            for (Tensor p : model.parameters()) grads.add(p.grad() == null ? null : p.grad().toFloatArray());
            return new Run(grads, activations);
        }
    }

    @Test
    @Tag("task02_1")
    @Task(id = "task02_1", points = 20, title = "the checkpoint's backward (recompute, then backprop)")
    void yourCheckpointGivesBitIdenticalGradientsWithLessActivationMemory() {
        SplittableRandom r = Seeds.forTest(getClass(), "checkpoint");
        int digits = 3 + r.nextInt(4);
        GptConfig config = Configs.gpt(r, digits).withLayers(3 + r.nextInt(3)).withDropout(0.1);
        int batch = 4 + r.nextInt(8);
        Run plain = run(config, digits, batch, false);
        Run mine = run(config, digits, batch, true);
        String what = config + ", B=" + batch + "; " + Seeds.reproduce("02");
        for (int i = 0; i < plain.gradients().size(); i++) {
            assertThat(mine.gradients().get(i)).as("gradient of parameter %d (dropout is on), %s", i, what)
                    .containsExactly(plain.gradients().get(i));
        }
        assertThat(mine.activations()).as("activation bytes checkpointed vs plain, %s", what)
                .isLessThan(plain.activations() / 2);
    }

    /**
     * The highest ACTIVATION reading of one backward with segments of k, checkpointed by the
     * chapter's own {@link Checkpoint} (so Task 2.2 is graded independently of Task 2.1).
     */
    private static long measured(GptConfig config, int batch, int digits, int k) {
        Rng.seed(4);
        try (Gpt model = new Gpt(config)) {
            Checkpoint.segments(model, k);
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("k=" + k); Scope s = Scope.open()) {
                Batch b = new ReversalTask(digits, 6).next(batch);
                model.loss(b.inputs(), b.targets()).backward();
                return meter.maxByCategory().get(Category.ACTIVATION);
            }
        }
    }

    @Test
    @Tag("task02_2")
    @Task(id = "task02_2", points = 20, title = "the segment length that saves most")
    void yourSegmentLengthIsTheMeasuredBest() {
        SplittableRandom r = Seeds.forTest(getClass(), "segments");
        for (int i = 0; i < 3; i++) {
            int digits = 3 + r.nextInt(3);
            int layers = 4 + r.nextInt(6);
            int batch = 2 + r.nextInt(6);
            GptConfig config = Configs.gpt(r, digits).withLayers(layers);
            // one model with a wide vocabulary: the loss's saved log-probabilities make longer segments free
            if (i == 0) config = config.withHeads(1).withChannels(16).withVocabSize(1024 + 512 * r.nextInt(3));
            int reference = bestByFormula(config, batch, 2L * digits, digits);
            int chosen = SegmentChoice.bestSegmentLength(config, batch, 2L * digits, digits);
            String what = String.format("L=%d C=%d H=%d V=%d B=%d T=%d; %s", layers, config.channels(), config.heads(),
                    config.vocabSize(), batch, 2 * digits, Seeds.reproduce("02"));
            assertThat(chosen).as(what).isBetween(1, layers);
            if (chosen == reference) continue;
            long best = measured(config, batch, digits, reference);
            assertThat(measured(config, batch, digits, chosen))
                    .as("activation bytes with k=%d (the best measured: %d), %s", chosen, best, what).isLessThanOrEqualTo(best);
        }
    }

    /** The grader's own model of segment checkpointing's activations (checked against the meter in chapter 2). */
    private static int bestByFormula(GptConfig config, long batch, long time, long answer) {
        long btc = batch * time * config.channels();
        long block = 16 * btc + batch * config.heads() * time * time + 4 * batch * time;
        long head = 2 * btc + 2 * batch * time + batch * answer * config.vocabSize();
        int best = 1;
        long bestValues = Long.MAX_VALUE;
        for (int k = 1; k <= config.layers(); k++) {
            long values = ((config.layers() + k - 1) / k) * btc + Math.max(head, k * block - btc);
            if (values < bestValues) {
                bestValues = values;
                best = k;
            }
        }
        return best;
    }

    @Test
    @Tag("task02_3")
    @Task(id = "task02_3", points = 5, title = "question: what full checkpointing keeps of Llama-2-7B",
            explanation = "One input per block, B·T·C values at 2 bytes: 32 × 4096 × 4096 × 2 = 2³⁰ bytes, 1 GiB — "
                    + "where without checkpointing each block keeps about 34·sbh + 5·as²b bytes (Korthikanti et al.): "
                    + "3 GiB per block at this length, ~97 GiB in all.")
    void keptInputs() {
        Answers.near(Questions.keptInputsGibibytes(), 32.0 * 4096 * 4096 * 2 / (1L << 30), 0.01);
    }

    @Test
    @Tag("task02_4")
    @Task(id = "task02_4", points = 5, title = "question: the work full checkpointing adds",
            explanation = "A step is a forward (1) and a backward (about 2: input and weight gradients); checkpointing "
                    + "runs each block's forward once more, in backward: 4/3. The chapter's work column counts 1.33×.")
    void workFactor() {
        Answers.near(Questions.workFactor(), 4.0 / 3, 0.02);
    }
}
