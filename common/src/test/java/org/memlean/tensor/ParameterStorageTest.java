package org.memlean.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.Memory;
import org.memlean.memory.MemoryEvent;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;

/** A parameter's memory released after forward and gathered again before backward (ZeRO-3's move). */
class ParameterStorageTest {
    private static float[] gradientOf(boolean releaseBetween) {
        Rng.seed(8);
        try (Gpt model = new Gpt(GptConfig.defaults())) {
            Tensor w = model.namedParameters().get("blocks.1.mlp.fc.weight");
            try (Scope s = Scope.open()) {
                Batch b = new ReversalTask(4, 3).next(4);
                Tensor loss = model.loss(b.inputs(), b.targets());
                if (releaseBetween) {
                    float[] values = w.toFloatArray();
                    w.releaseStorage();                                        // a shard is all this rank keeps
                    assertThat(w.hasStorage()).isFalse();
                    assertThat(w.shape()).containsExactly(64, 256);            // the tensor stays what it was
                    var gathered = Memory.allocate(w.dtype(), w.shape(), Category.PARAMETER, "gathered");
                    Memory.fill(gathered.array(), values);                     // the all-gather
                    w.attachStorage(gathered);
                }
                loss.backward();
            }
            return w.grad().toFloatArray();
        }
    }

    @Test
    void releasedAndGatheredAgainTheParameterGivesTheSameGradients() {
        assertThat(gradientOf(true)).isEqualTo(gradientOf(false));
    }

    @Test
    void theLedgerSeesTheReleaseAndTheGatherAndAReleasedParameterIsAClearError() {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("zero3"); Gpt model = new Gpt(GptConfig.defaults())) {
            Tensor w = model.namedParameters().get("head.weight");
            long params = meter.liveBytes(Category.PARAMETER);
            w.releaseStorage();
            assertThat(meter.liveBytes(Category.PARAMETER)).isEqualTo(params - w.bytes());
            assertThat(meter.backendLiveBytes()).isEqualTo(meter.liveBytes());
            assertThatThrownBy(w::array).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("'weight'").hasMessageContaining("released").hasMessageContaining("gather");
            try (Scope s = Scope.open()) {
                Batch b = new ReversalTask(4, 3).next(2);
                assertThatThrownBy(() -> model.loss(b.inputs(), b.targets())).hasMessageContaining("holds no memory now");
            }
            w.attachStorage(Memory.zeros(w.dtype(), w.shape(), Category.PARAMETER, "gathered"));
            assertThat(meter.liveBytes(Category.PARAMETER)).isEqualTo(params);
            assertThat(meter.backendLiveBytes()).isEqualTo(meter.liveBytes());
            List<MemoryEvent> events = meter.timeline();
            assertThat(events).anyMatch(e -> e.kind() == MemoryEvent.Kind.FREE && e.category() == Category.PARAMETER);
            assertThatThrownBy(() -> w.attachStorage(Memory.zeros(w.dtype(), w.shape(), Category.TEMPORARY, "x")))
                    .hasMessageContaining("still has its memory");
        }
    }
}
