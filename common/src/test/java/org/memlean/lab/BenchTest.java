package org.memlean.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Trace;
import org.memlean.memory.Work;
import org.memlean.tensor.Rng;
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
            try (Trace trace = Trace.record(); Work work = Work.count()) {
                Training.step(model, adam, task, 4);
                trace.stop();
                work.close();
                // the recording holds every kernel and allocation of the step: the same as a plain count
                assertThat(trace.kernelCount()).isEqualTo(work.kernels()).isPositive();
                assertThat(trace.allocationCount()).isEqualTo(work.allocations()).isPositive();
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
    void theFlopFormulaIsWhatAStepCounts() {
        Bench.Setup s = Bench.setup(true);
        Rng.seed(2);
        try (Gpt model = new Gpt(s.config())) {
            AdamW adam = new AdamW(model.parameters(), 1e-3);
            ReversalTask task = new ReversalTask(s.digits(), 1);
            try (Work work = Work.count()) {
                Training.step(model, adam, task, s.batch());
                assertThat(Bench.modelFlops(s)).as("the formula against the framework's count of every matmul")
                        .isEqualTo(work.matmulFlops());
            }
            adam.close();
        }
    }
}
