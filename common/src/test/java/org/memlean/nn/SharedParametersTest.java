package org.memlean.nn;

import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Training;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.optim.AdamW;
import org.memlean.optim.Sgd;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import static org.assertj.core.api.Assertions.assertThat;

/** One block applied at L positions (ALBERT's sharing) is one block's parameters, everywhere. */
class SharedParametersTest {
    private static final GptConfig CONFIG = GptConfig.defaults().withLayers(3);

    /** A GPT whose three positions all run block 0 (the blocks it replaced are closed). */
    private static Gpt shared() {
        Gpt model = new Gpt(CONFIG);
        Layer block = model.blocks().get(0);
        for (int i = 1; i < CONFIG.layers(); i++) model.replaceBlock(i, block).close();
        return model;
    }

    @Test
    void countStateAndMemoryAreThoseOfOneBlock() {
        long expected = CONFIG.parameterCount() - (CONFIG.layers() - 1) * CONFIG.blockParameterCount();
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("shared", false); Gpt model = shared()) {
            assertThat(model.parameterCount()).isEqualTo(expected);
            assertThat(model.namedParameters().keySet()).noneMatch(n -> n.startsWith("blocks.1.") || n.startsWith("blocks.2."));
            assertThat(meter.liveBytes(Category.PARAMETER)).isEqualTo(4 * expected);
            AdamW adam = new AdamW(model.parameters(), 1e-3);
            Training.step(model, adam, new ReversalTask(4, 1), 8);
            assertThat(adam.stateBytes()).isEqualTo(8 * expected);
            assertThat(meter.liveBytes(Category.OPTIMIZER_STATE)).isEqualTo(8 * expected);
            assertThat(meter.maxByCategory().get(Category.GRADIENT)).isEqualTo(4 * expected);
            adam.close();
        }
    }

    @Test
    void theSharedGradientIsTheSumOverItsPositionsAndTheStepUpdatesItOnce() {
        Rng.seed(3);
        try (Gpt model = shared(); Gpt separate = new Gpt(CONFIG)) {
            // the same weights in three separate blocks
            Map<String, Tensor> from = model.namedParameters();
            separate.namedParameters().forEach((name, p) -> {
                String source = name.replaceFirst("^blocks\\.[12]\\.", "blocks.0.");
                Kernels.assign(p.array(), from.get(source).array());
            });
            for (Gpt m : new Gpt[] {model, separate}) {
                try (Scope s = Scope.open()) {
                    Batch b = new ReversalTask(4, 2).next(6);
                    m.loss(b.inputs(), b.targets()).backward();
                }
            }
            Map<String, Tensor> sep = separate.namedParameters();
            for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                if (!e.getKey().startsWith("blocks.0.")) continue;
                float[] g = e.getValue().grad().toFloatArray();
                float[][] parts = new float[CONFIG.layers()][];
                for (int i = 0; i < CONFIG.layers(); i++) {
                    parts[i] = sep.get(e.getKey().replaceFirst("^blocks\\.0\\.", "blocks." + i + ".")).grad().toFloatArray();
                }
                for (int k = 0; k < g.length; k++) {
                    float sum = parts[0][k] + parts[1][k] + parts[2][k];
                    assertThat(g[k]).as("%s[%d]", e.getKey(), k)
                            .isCloseTo(sum, Offset.offset(1e-6f + 1e-4f * Math.abs(sum)));
                }
            }
            Tensor w = model.namedParameters().get("blocks.0.mlp.fc.weight");
            float[] before = w.toFloatArray();
            float[] grad = w.grad().toFloatArray();
            Sgd sgd = new Sgd(model.parameters(), 0.1, 0, 0);
            sgd.step();
            float[] after = w.toFloatArray();
            for (int k = 0; k < before.length; k++) assertThat(after[k]).isEqualTo(before[k] - 0.1f * grad[k]);
            sgd.close();
        }
    }

    @Test
    void aParameterFileHoldsTheSharedBlockOnce(@TempDir Path dir) throws Exception {
        Rng.seed(4);
        try (Gpt a = shared()) {
            Rng.seed(5);
            try (Gpt b = shared()) {
                Path file = dir.resolve("shared.params");
                ParameterFiles.save(a, file);
                ParameterFiles.load(b, file);
                a.namedParameters().forEach((n, p) -> assertThat(b.namedParameters().get(n).toFloatArray()).as(n)
                        .isEqualTo(p.toFloatArray()));
                assertThat(b.namedParameters()).hasSameSizeAs(a.namedParameters());
            }
        }
    }
}
