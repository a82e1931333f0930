package org.memlean.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Device;
import org.memlean.memory.DeviceBudget;
import org.memlean.memory.DeviceOutOfMemoryException;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;

/** What an out-of-memory error leaves behind, what a budget must allow, and divergence said once. */
class ReliabilityTest {
    private static final GptConfig CONFIG = GptConfig.defaults();

    /**
     * A step that runs out of memory in backward leaves no gradients behind: the next step trains
     * exactly as if the failed one had never run.
     */
    @Test
    void aStepThatRunsOutOfMemoryInBackwardLeavesTheModelAsItWas() {
        float[] expected;
        Rng.seed(1);
        try (Gpt model = new Gpt(CONFIG); AdamW adam = new AdamW(model.parameters(), 1e-3)) {
            ReversalTask task = new ReversalTask(8, 5);
            Training.step(model, adam, task, 16);                      // AdamW's state exists
            task.next(16);                                              // the batch the failed step would use
            Training.step(model, adam, task, 16);
            expected = model.namedParameters().get("head.weight").toFloatArray();
        }
        Rng.seed(1);
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("failing", false); Gpt model = new Gpt(CONFIG);
             AdamW adam = new AdamW(model.parameters(), 1e-3)) {
            ReversalTask task = new ReversalTask(8, 5);
            Training.step(model, adam, task, 16);
            long peak = StepMemoryModel.predictPeak(CONFIG, 16, 16, 8).bytes();
            long endOfForward = meter.liveBytes() + CONFIG.savedActivationBytes(16, 16, 8) + 8192;
            try (DeviceBudget gpu = DeviceBudget.of((endOfForward + peak) / 2)) {
                assertThatThrownBy(() -> Training.step(model, adam, task, 16)).isInstanceOf(DeviceOutOfMemoryException.class);
            }
            for (Tensor p : model.parameters()) assertThat(p.grad()).as(p.name()).isNull();
            Training.step(model, adam, task, 16);
            assertThat(model.namedParameters().get("head.weight").toFloatArray()).containsExactly(expected);
        }
    }

    /** A budget of exactly the measured peak is enough, and a byte less fails with every field of the message filled. */
    @Test
    void aBudgetOfTheMeasuredPeakIsEnough() {
        Rng.seed(2);
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("peak", false); Gpt model = new Gpt(CONFIG);
             AdamW adam = new AdamW(model.parameters(), 1e-3)) {
            ReversalTask task = new ReversalTask(8, 5);
            Training.step(model, adam, task, 16);
            Training.step(model, adam, task, 16);
            long peak = meter.peakBytes();
            try (DeviceBudget gpu = DeviceBudget.of(peak)) {
                Training.step(model, adam, task, 16);
            }
            try (DeviceBudget gpu = DeviceBudget.of(peak - 1)) {
                assertThatThrownBy(() -> Training.step(model, adam, task, 16))
                        .isInstanceOf(DeviceOutOfMemoryException.class)
                        .hasMessageNotContaining("(,").hasMessageNotContaining("0 B (")
                        .hasMessageMatching("(?s)Device out of memory\\. Tried to allocate [0-9.]+ [KMG]?i?B \\(\\w+ \\[.*");
            }
        }
    }

    /** Divergence is said once, with the step and the first parameter that is not finite. */
    @Test
    void trainingThatTurnsNaNSaysSoOnceWithTheStepAndTheParameter() {
        Warnings.clear();
        Rng.seed(3);
        try (Gpt model = new Gpt(CONFIG); AdamW adam = new AdamW(model.parameters(), 1e10)) {
            ReversalTask task = new ReversalTask(4, 5);
            for (int i = 0; i < 6; i++) Training.step(model, adam, task, 8);
        }
        assertThat(Warnings.recent()).hasSize(1);
        assertThat(Warnings.recent().get(0)).containsPattern("training diverged at step \\d+: the loss is (NaN|infinite)")
                .contains("parameter '");
    }
}
