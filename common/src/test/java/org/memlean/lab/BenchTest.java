package org.memlean.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Trace;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;

/** The bench's machinery (not its timings: those are the bench's job, not a unit test's). */
class BenchTest {
    @Test
    void aRecordedStepReplaysAsPlainNd4jAndLeavesNothingBehind() {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("trace"); Gpt model = new Gpt(GptConfig.defaults())) {
            AdamW adam = new AdamW(model.parameters(), 1e-3);
            ReversalTask task = new ReversalTask(4, 1);
            Training.step(model, adam, task, 4);
            long before = Device.allocatedBytes();
            try (Trace trace = Trace.record()) {
                Training.step(model, adam, task, 4);
                trace.stop();
                assertThat(trace.kernelCount()).isGreaterThan(300);
                assertThat(trace.allocationCount()).isGreaterThan(100);
                long kept = Device.allocatedBytes();
                trace.replay();
                assertThat(Device.allocatedBytes()).as("a replay frees what it allocates").isEqualTo(kept);
            }
            assertThat(Device.allocatedBytes()).as("closing the trace frees what it kept").isEqualTo(before);
            assertThat(meter.liveBytes()).isEqualTo(meter.backendLiveBytes());
            adam.close();
        }
    }

    @Test
    void modelFlopsAndTheMinimumFollowTheirFormulas() {
        Bench.Setup s = Bench.setup(true);
        long p = s.config().parameterCount();
        long t = 2L * s.digits();
        assertThat(Bench.modelFlops(s)).isEqualTo(6 * p * s.tokens()
                + 12L * s.config().layers() * s.batch() * t * t * s.config().channels());
        assertThat(Bench.minimumBytes(s)).isGreaterThan(16 * p);
    }
}
