package org.memlean.memory;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.memlean.nn.BatchNorm2d;
import org.memlean.nn.Conv2d;
import org.memlean.nn.Layer;
import org.memlean.nn.Linear;
import org.memlean.nn.Silu;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Convolution;
import org.memlean.tensor.Losses;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;

/** A convolutional model's step reconciles to the byte, im2col columns and batch-norm buffers included. */
class ConvolutionMeterTest {
    /** conv 3×3 → batch norm → SiLU → depthwise 3×3 (stride 2) → 2×2 average pool → linear head. */
    static final class SmallConvNet extends Layer {
        SmallConvNet() {
            child("conv", new Conv2d(3, 8, 3, 1, 1, 1, false, DataType.FLOAT));
            child("norm", new BatchNorm2d(8, DataType.FLOAT));
            child("act", new Silu());
            child("depthwise", new Conv2d(8, 8, 3, 2, 1, 8, true, DataType.FLOAT));
            child("head", new Linear(8 * 2 * 2, 5, true, DataType.FLOAT));
        }

        @Override
        public Tensor forward(Tensor x) {                       // x: (B, 3, 8, 8)
            Tensor h = x;
            for (String name : List.of("conv", "norm", "act", "depthwise")) {
                Tensor next = part(name).forward(h);
                if (h != x) h.release();
                h = next;
            }
            Tensor pooled = Convolution.avgPool2d(h, 2, 2);        // (B, 8, 2, 2)
            h.release();
            Tensor flat = pooled.reshape(pooled.size(0), -1);       // (B, 32)
            pooled.release();
            Tensor logits = part("head").forward(flat);
            flat.release();
            return logits;
        }
    }

    private static void step(SmallConvNet model, AdamW adam, int seed) {
        try (Scope s = Scope.open()) {
            Rng.seed(seed);
            float[] pixels = new float[4 * 3 * 8 * 8];
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = 0; i < pixels.length; i++) pixels[i] = (float) r.nextGaussian();
            Tensor images = Tensor.of(pixels, 4, 3, 8, 8);
            Tensor labels = Tensor.ofInts(new int[] {0, 1, 2, 3}, 4);
            Losses.crossEntropy(model.forward(images), labels).backward();
            adam.step();
            adam.zeroGrad(true);
        }
    }

    @Test
    void aConvolutionalStepReconcilesAtEveryEventAndLeaksNothing() {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("conv")) {
            try (SmallConvNet model = new SmallConvNet()) {
                // parameters: conv 8·3·9, norm 2·8, depthwise 8·9 + 8, head 32·5 + 5; buffers: 2·8 running statistics
                long params = 8 * 3 * 9 + 2 * 8 + 8 * 9 + 8 + 32 * 5 + 5;
                assertThat(model.parameterCount()).isEqualTo(params);
                assertThat(model.namedBuffers()).containsOnlyKeys("norm.runningMean", "norm.runningVar");
                assertThat(meter.liveBytes(Category.PARAMETER)).isEqualTo(4 * (params + 16));
                AdamW adam = new AdamW(model.parameters(), 1e-2);
                step(model, adam, 1);
                long afterOne = meter.liveBytes();
                for (int i = 2; i <= 5; i++) step(model, adam, i);
                assertThat(meter.liveBytes()).isEqualTo(afterOne).isEqualTo(meter.backendLiveBytes());
                float[] runningMean = model.namedBuffers().get("norm.runningMean").toFloatArray();
                assertThat(runningMean).as("training updated the running statistics").isNotEqualTo(new float[8]);
                adam.close();
            }
            for (MemoryEvent e : meter.timeline()) {
                assertThat(e.ledgerLive()).as("event %d (%s %s)", e.sequence(), e.kind(), e.label())
                        .isEqualTo(e.backendLive());
            }
            // the unfolded patches are on the ledger: the first conv's (B, 3, 3, 3, 8, 8) columns
            assertThat(meter.timeline()).anyMatch(e -> e.kind() == MemoryEvent.Kind.ALLOCATE
                    && "conv2d:scratch".equals(e.label()) && e.bytes() == 4L * 4 * 3 * 9 * 64);
            assertThat(meter.liveBytes()).isZero();
        }
    }
}
