package org.memlean.exercises.ch00;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.grading.Task;
import org.memlean.lab.Training;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Tensor;

/** Graded: each prediction is compared with what the meter measures, over several configurations. */
class MemoryAnatomyTest {
    private static final GptConfig[] CONFIGS = {
            GptConfig.defaults(), GptConfig.defaults().withLayers(3).withChannels(32),
            GptConfig.defaults().withBlockSize(12).withLayers(1).withHeads(2).withChannels(48)};

    @Test
    @Tag("task00_1")
    @Task(id = "task00_1", points = 10, title = "predict the parameter bytes of a GPT")
    void parameterBytesMatchTheMeter() {
        for (GptConfig config : CONFIGS) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("params"); Gpt model = new Gpt(config)) {
                assertThat(MemoryAnatomy.parameterBytes(config)).as("%s", config)
                        .isEqualTo(meter.liveBytes(Category.PARAMETER));
            }
        }
    }

    @Test
    @Tag("task00_2")
    @Task(id = "task00_2", points = 10, title = "predict AdamW's state bytes")
    void adamStateBytesMatchTheMeter() {
        for (GptConfig config : CONFIGS) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("state"); Gpt model = new Gpt(config)) {
                AdamW adam = new AdamW(model.parameters(), 1e-3);
                Training.step(model, adam, new ReversalTask(3, 1), 4);
                assertThat(MemoryAnatomy.adamStateBytes(config)).as("%s", config)
                        .isEqualTo(meter.liveBytes(Category.OPTIMIZER_STATE));
                adam.close();
            }
        }
    }

    @Test
    @Tag("task00_3")
    @Task(id = "task00_3", points = 20, title = "predict the saved activations at the end of forward")
    void savedActivationBytesMatchTheMeter() {
        int[][] sizes = {{8, 3}, {2, 5}, {5, 6}};
        for (int i = 0; i < CONFIGS.length; i++) {
            GptConfig config = CONFIGS[i];
            int batch = sizes[i][0];
            int digits = sizes[i][1];
            Device.settle();
            try (Gpt model = new Gpt(config); MemoryMeter meter = MemoryMeter.start("activations");
                 Scope step = Scope.open()) {
                var data = new ReversalTask(digits, 2).next(batch);
                Tensor loss = model.loss(data.inputs(), data.targets());
                assertThat(MemoryAnatomy.savedActivationBytes(config, batch, 2L * digits, digits))
                        .as("%s, B=%d, T=%d", config, batch, 2 * digits)
                        .isEqualTo(meter.liveBytes(Category.ACTIVATION));
                loss.release();
            }
        }
    }
}
