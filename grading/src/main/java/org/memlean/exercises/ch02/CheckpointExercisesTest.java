package org.memlean.exercises.ch02;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.ch02.Checkpoint;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
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
    private static final GptConfig CONFIG = GptConfig.defaults().withLayers(4).withChannels(32).withDropout(0.1);

    /** Gradients of all parameters after one backward, and the highest ACTIVATION reading. */
    private record Run(List<float[]> gradients, long activations) {}

    private static Run run(boolean checkpoint) {
        Rng.seed(4);
        try (Gpt model = new Gpt(CONFIG)) {
            if (checkpoint) {
                for (int i = 0; i < CONFIG.layers(); i++) model.replaceBlock(i, new MyCheckpoint(model.blocks().get(i)));
            }
            Device.settle();
            long activations;
            try (MemoryMeter meter = MemoryMeter.start("run"); Scope s = Scope.open()) {
                Rng.seed(5);
                Batch b = new ReversalTask(4, 6).next(8);
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
        Run plain = run(false);
        Run mine = run(true);
        for (int i = 0; i < plain.gradients().size(); i++) {
            assertThat(mine.gradients().get(i)).as("gradient of parameter %d (dropout is on)", i)
                    .containsExactly(plain.gradients().get(i));
        }
        assertThat(mine.activations()).isLessThan(plain.activations() / 2);
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
        int[][] cases = {{9, 32, 4, 4}, {16, 64, 4, 2}, {12, 16, 8, 16}};   // L, C, B, digits
        for (int[] c : cases) {
            GptConfig config = GptConfig.defaults().withLayers(c[0]).withChannels(c[1]).withBlockSize(Math.max(16, 2 * c[3]));
            long[] bytes = new long[c[0] + 1];
            long best = Long.MAX_VALUE;
            for (int k = 1; k <= c[0]; k++) {
                bytes[k] = measured(config, c[2], c[3], k);
                best = Math.min(best, bytes[k]);
            }
            int chosen = SegmentChoice.bestSegmentLength(config, c[2], 2L * c[3], c[3]);
            assertThat(chosen).as("L=%d C=%d B=%d T=%d", c[0], c[1], c[2], 2 * c[3]).isBetween(1, c[0]);
            assertThat(bytes[chosen]).as("activation bytes with k=%d (the best measured: %d)", chosen, best)
                    .isEqualTo(best);
        }
    }
}
