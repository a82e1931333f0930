package org.memlean.ch06;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memlean.ch06.PeftChapter.Method;
import org.memlean.data.SortTask;
import org.memlean.lab.Experiment;
import org.memlean.lab.Training;
import org.memlean.memory.Device;
import org.memlean.memory.LeakCheck;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.nn.ParameterFiles;
import org.memlean.optim.AdamW;
import org.memlean.tensor.GradMode;
import org.memlean.tools.Main;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PeftTest {
    private static final PeftChapter.Setup SETUP = new PeftChapter.Setup(8, 4, 3, 10);

    private static float[] output(Gpt model) {
        try (Scope s = Scope.open(); GradMode.Guard g = GradMode.noGrad()) {
            var b = new SortTask(4, 3).next(4);
            return model.forward(b.inputs()).toFloatArray();
        }
    }

    private static void train(Gpt model, int steps) {
        try (var adam = new AdamW(model.parameters(), 3e-2, 0.9, 0.99, 1e-8, 0)) {
            SortTask task = new SortTask(4, 5);
            for (int i = 0; i < steps; i++) Training.step(model, adam, task.next(8));
        }
    }

    @Test
    void loraAndAdaptersStartAtTheBaseAndMergedLoraEqualsUnmerged() {
        try (Gpt model = PeftChapter.pretrainedModel(SETUP, DataType.FLOAT)) {
            float[] base = output(model);
            Lora.apply(model, EnumSet.allOf(Lora.Target.class), 4, 8);
            assertThat(output(model)).as("B = 0: LoRA changes nothing at the start, exactly").containsExactly(base);
            train(model, 3);
            float[] unmerged = output(model);
            assertThat(unmerged).as("trained: the update is not zero any more").isNotEqualTo(base);
            Lora.merge(model);
            float[] merged = output(model);
            Lora.unmerge(model);
            float[] again = output(model);
            for (int i = 0; i < unmerged.length; i++) {
                // one product folded into W instead of two applied to x: float32 rounding of sums of 64 terms
                assertThat(merged[i]).as("merged %d", i).isCloseTo(unmerged[i], Offset.offset(1e-4f));
                assertThat(again[i]).as("unmerged again %d", i).isCloseTo(unmerged[i], Offset.offset(1e-4f));
            }
        }
        try (Gpt model = PeftChapter.pretrainedModel(SETUP, DataType.FLOAT)) {
            float[] base = output(model);
            Adapters.apply(model, 8);
            float[] start = output(model);
            double worst = 0;
            for (int i = 0; i < base.length; i++) worst = Math.max(worst, Math.abs(start[i] - base[i]));
            assertThat(worst).as("adapters start near the identity (up-projection std 1e-3)").isLessThan(0.05).isPositive();
        }
    }

    @Test
    void theTrainableParameterFormulasAreTheFrameworksCount() {
        for (GptConfig config : List.of(GptConfig.defaults(), GptConfig.defaults().withLayers(3).withChannels(32))) {
            for (Set<Lora.Target> targets : List.of(Lora.DEFAULT_TARGETS, EnumSet.of(Lora.Target.K, Lora.Target.O,
                    Lora.Target.DOWN), EnumSet.allOf(Lora.Target.class))) {
                for (int rank : new int[] {1, 4}) {
                    try (Gpt model = new Gpt(config)) {
                        Lora.apply(model, targets, rank, 2 * rank);
                        assertThat(model.trainableParameterCount()).as("%s, %s, r=%d", config, targets, rank)
                                .isEqualTo(Lora.trainableParameters(config.channels(), config.layers(), targets, rank));
                        assertThat(model.parameterCount()).isEqualTo(config.parameterCount() + model.trainableParameterCount());
                    }
                }
            }
            try (Gpt model = new Gpt(config)) {
                Adapters.apply(model, 5);
                assertThat(model.trainableParameterCount())
                        .isEqualTo(Adapters.trainableParameters(config.channels(), config.layers(), 5));
            }
        }
    }

    @Test
    void gradientsAndStateShrinkToTheAddedParametersAndActivationsLessThanTheWhole() {
        long p = GptConfig.defaults().parameterCount();
        PeftChapter.Breakdown full = PeftChapter.breakdown(Method.FULL, SETUP);
        PeftChapter.Breakdown lora = PeftChapter.breakdown(Method.LORA, SETUP);
        PeftChapter.Breakdown adapters = PeftChapter.breakdown(Method.ADAPTERS, SETUP);
        PeftChapter.Breakdown bf16 = PeftChapter.breakdown(Method.LORA_BF16_BASE, SETUP);
        for (PeftChapter.Breakdown b : List.of(full, lora, adapters, bf16)) {
            assertThat(b.gradientBytes()).as("%s: 4 bytes per trainable parameter", b.method()).isEqualTo(4 * b.trainableParameters());
            assertThat(b.optimizerStateBytes()).as("%s: AdamW's 8", b.method()).isEqualTo(8 * b.trainableParameters());
        }
        assertThat(full.trainableParameters()).isEqualTo(p);
        assertThat(lora.parameterBytes()).isEqualTo(4 * p + 4 * lora.trainableParameters());
        assertThat(bf16.parameterBytes()).as("the frozen base in bf16").isEqualTo(2 * p + 4 * bf16.trainableParameters());
        // a product with a frozen weight keeps no input (as PyTorch): LoRA saves activations too, but
        // far from all — the inputs that carry gradients down through the frozen layers stay
        assertThat(lora.activationBytes()).isLessThan(full.activationBytes()).isGreaterThan(full.activationBytes() / 2);
    }

    @Test
    void theLoraFileHoldsOnlyTheAddedParametersAndReproducesTheFineTunedModel(@TempDir Path dir) throws IOException {
        Path loraFile = dir.resolve("lora.params");
        Path fullFile = dir.resolve("full.params");
        float[] tuned;
        try (Gpt model = PeftChapter.prepared(Method.LORA, SETUP)) {
            train(model, 3);
            tuned = output(model);
            Lora.save(model, loraFile);
            ParameterFiles.save(model, fullFile);
        }
        assertThat(Files.size(loraFile)).as("A and B only").isLessThan(Files.size(fullFile) / 10);
        try (Gpt fresh = PeftChapter.prepared(Method.LORA, SETUP)) {
            assertThat(output(fresh)).isNotEqualTo(tuned);
            Lora.load(fresh, loraFile);
            assertThat(output(fresh)).as("the base plus the file: the fine-tuned model").containsExactly(tuned);
        }
        try (Gpt other = new Gpt(GptConfig.defaults().withChannels(32))) {
            Lora.apply(other, Lora.DEFAULT_TARGETS, PeftChapter.RANK, PeftChapter.ALPHA);
            float[] before = output(other);
            assertThatThrownBy(() -> Lora.load(other, loraFile)).isInstanceOf(IOException.class)
                    .hasMessageContaining("has shape [64, 4] in the file, [32, 4] in the model");
            assertThat(output(other)).as("nothing changed").containsExactly(before);
        }
    }

    @Test
    void theCalculatorGivesTheLoraPapersBudgetForGpt3() {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        try {
            assertThat(Main.execute("calc", "lora", "--hidden", "12288", "--layers", "96", "--targets", "q,v", "--rank", "4",
                    "--json")).isZero();
        } finally {
            System.setOut(old);
        }
        // Hu et al., Table 5: an 18M budget on GPT-3 175B is r = 4 on Wq and Wv over 96 layers
        assertThat(out.toString().strip()).isEqualTo("{\"trainableParameters\":" + 4L * 96 * 12288 * 2 * 2 + "}");
        assertThat(Lora.trainableParameters(12288, 96, EnumSet.of(Lora.Target.Q), 8))
                .as("r = 8 on one type: the same budget").isEqualTo(4L * 96 * 12288 * 2 * 2);
    }

    @Test
    void fineTuningStepsLeakNothing() {
        for (Method m : Method.values()) {
            try (Experiment.Session s = PeftChapter.session(m, SETUP)) {
                LeakCheck.run(1, 5, s::step).assertNoLeak(m.toString());
            }
        }
    }
}
