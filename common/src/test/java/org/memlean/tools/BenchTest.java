package org.memlean.tools;

import java.util.List;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Training;
import org.memlean.lab.Work;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;
import static org.assertj.core.api.Assertions.assertThat;

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
    @Test
    void theDefaultThreadCountIsTheFasterOnlyBeyondTheNoise() {
        Bench.ThreadRun one = new Bench.ThreadRun(1, 100, 95, 105, 0.5, 100, 393, 245);
        Bench.ThreadRun twoClearly = new Bench.ThreadRun(2, 60, 58, 62, 0.4, 60, 393, 245);
        Bench.ThreadRun twoWithinNoise = new Bench.ThreadRun(2, 90, 80, 99, 0.4, 90, 393, 245);
        Bench.ThreadRun twoSlower = new Bench.ThreadRun(2, 200, 190, 210, 0.1, 200, 393, 245);
        assertThat(Bench.fastest(List.of(one, twoClearly))).isEqualTo(2);
        assertThat(Bench.fastest(List.of(one, twoWithinNoise))).as("overlapping quartiles: one thread").isEqualTo(1);
        assertThat(Bench.fastest(List.of(one, twoSlower))).isEqualTo(1);
    }

    @Test
    void aChildBenchsJsonIsReadByKey() {
        String json = "{\"threads\":2,\"stepMillis\":79.25,\"stepMillisLow\":7.9e1,\"kernelsPerStep\":393}";
        assertThat(Bench.number(json, "stepMillis")).isEqualTo(79.25);
        assertThat(Bench.number(json, "stepMillisLow")).isEqualTo(79.0);
        assertThat(Bench.number(json, "kernelsPerStep")).isEqualTo(393);
        Assertions.assertThatThrownBy(() -> Bench.number(json, "efficiency"))
                .hasMessageContaining("no efficiency");
    }
}
