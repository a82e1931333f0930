package org.memlean.memory;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Training;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;

/**
 * The meter on a GPU: runs only under {@code -Pcuda} (the default profile excludes the tag). The
 * same reconciliation as on the CPU, against the CUDA backend's device counter.
 */
@Tag("gpu")
class GpuMeterTest {
    @Test
    void theLedgerReconcilesWithTheGpusCounter() {
        assertThat(Device.backendName()).as("this test needs the cuda profile and a GPU").isEqualTo("CUDA");
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("gpu"); Gpt model = new Gpt(GptConfig.defaults())) {
            AdamW adam = new AdamW(model.parameters(), 1e-3);
            Training.step(model, adam, new ReversalTask(4, 1), 16);
            assertThat(meter.maxDiscrepancyBytes()).isZero();
            assertThat(meter.peakBytes()).isEqualTo(meter.ledgerPeakBytes());
            adam.close();
        }
    }
}
