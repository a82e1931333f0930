package org.memlean.exercises.ch06;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.ch06.Lora;
import org.memlean.grading.Answers;
import org.memlean.grading.Configs;
import org.memlean.grading.Seeds;
import org.memlean.grading.Task;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.Memory;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.nn.Linear;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Graded: your LoRA layer against the same sum written out, and on the meter; your count against the framework's. */
class LowRankTest {
    private static float[] random(SplittableRandom r, long n) {
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) out[i] = (float) (r.nextDouble() - 0.5);
        return out;
    }

    @Test
    @Tag("task06_1")
    @Task(id = "task06_1", points = 20, title = "a LoRA layer over a frozen base: forward, merge, backward")
    void yourLoraLayerComputesTheSumKeepsOnlyWhatItsGradientsNeedAndMerges() {
        SplittableRandom r = Seeds.forTest(getClass(), "lora");
        int in = 8 + r.nextInt(24);
        int out = 8 + r.nextInt(24);
        int rank = 1 + r.nextInt(4);
        double alpha = 2 * rank;
        int rows = 4 + r.nextInt(12);
        String what = in + " → " + out + ", r = " + rank + ", " + rows + " rows; " + Seeds.reproduce("06");
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("lora"); Scope all = Scope.open();
             Linear base = new Linear(in, out, true, DataType.FLOAT)) {
            MyLoraLinear lora = new MyLoraLinear(base, rank, alpha);
            assertThat(lora.trainableParameterCount()).as("trainable: A and B only, %s", what).isEqualTo((long) rank * (in + out));
            Memory.fill(lora.b().array(), random(r, (long) rank * out));   // B ≠ 0, so A's gradient is not zero
            Tensor input = Tensor.of(random(r, (long) rows * in), rows, in);
            Tensor x = input.mul(1.0);                                       // made by an op: saved as an activation
            long before = meter.liveBytes(Category.ACTIVATION);
            Tensor y = lora.forward(x);
            long kept = meter.liveBytes(Category.ACTIVATION) - before;
            // the same sum, written out by the grader, under no-grad
            float[] expected;
            try (GradMode.Guard off = GradMode.noGrad()) {
                Tensor ref = LinearAlgebra.linear(x, base.weight(), base.parameters().size() > 1 ? base.parameters().get(1) : null)
                        .then(yb -> LinearAlgebra.matmul(x, lora.a(), false, false)
                                .then(xa -> LinearAlgebra.matmul(xa, lora.b(), false, false))
                                .then(xab -> xab.mul(alpha / rank)).then(yb::add));
                expected = ref.toFloatArray();
                ref.release();
            }
            float[] got = y.toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertThat((double) got[i]).as("output %d, %s", i, what).isCloseTo(expected[i], Offset.offset(1e-5));
            }
            assertThat(kept).as("activation bytes kept for backward: x (for A's gradient) and x·A (for B's) — not x "
                    + "for W's, never computed; %s", what).isEqualTo(4L * rows * (in + rank));
            y.sum().backward();
            assertThat(base.weight().grad()).as("W is frozen: no gradient").isNull();
            assertThat(lora.a().grad()).as("A's gradient").isNotNull();
            assertThat(lora.b().grad()).as("B's gradient").isNotNull();
            assertThat(meter.liveBytes(Category.GRADIENT)).as("gradients: A and B, %s", what).isEqualTo(4L * rank * (in + out));
            // B's gradient is (α/r)·(x·A)ᵀ·1
            float[] gb = lora.b().grad().toFloatArray();
            float[] xs = x.toFloatArray();
            float[] as = lora.a().toFloatArray();
            for (int q = 0; q < rank; q++) {
                double colSum = 0;
                for (int i = 0; i < rows; i++) {
                    double xa = 0;
                    for (int k = 0; k < in; k++) xa += xs[i * in + k] * as[k * rank + q];
                    colSum += xa;
                }
                for (int j = 0; j < out; j++) {
                    assertThat((double) gb[q * out + j]).as("B's gradient [%d, %d], %s", q, j, what)
                            .isCloseTo(alpha / rank * colSum, Offset.offset(1e-4 * (1 + Math.abs(colSum))));
                }
            }
            // merge: the same outputs from the base alone; unmerge: the base as it was
            float[] w = base.weight().toFloatArray();
            lora.merge(true);
            float[] mergedOut;
            try (GradMode.Guard off = GradMode.noGrad()) {
                Tensor m = lora.forward(x);
                mergedOut = m.toFloatArray();
                m.release();
            }
            for (int i = 0; i < got.length; i++) {
                assertThat((double) mergedOut[i]).as("merged output %d, %s", i, what).isCloseTo(got[i], Offset.offset(1e-5));
            }
            lora.merge(false);
            float[] restored = base.weight().toFloatArray();
            for (int i = 0; i < w.length; i++) {
                assertThat((double) restored[i]).as("W after merge and unmerge [%d]", i).isCloseTo(w[i], Offset.offset(1e-6));
            }
            lora.close();
        }
    }

    @Test
    @Tag("task06_2")
    @Task(id = "task06_2", points = 20, title = "the parameters LoRA trains")
    void yourCountIsTheFrameworksCount() {
        SplittableRandom r = Seeds.forTest(getClass(), "count");
        List<Lora.Target> all = List.of(Lora.Target.values());
        for (int run = 0; run < 4; run++) {
            GptConfig config = Configs.gptAnyVocabulary(r);
            Set<Lora.Target> targets = EnumSet.noneOf(Lora.Target.class);
            for (Lora.Target t : all) if (r.nextBoolean()) targets.add(t);
            if (targets.isEmpty()) targets.add(all.get(r.nextInt(all.size())));
            int rank = 1 + r.nextInt(8);
            try (Gpt model = new Gpt(config)) {
                Lora.apply(model, targets, rank, rank);
                Set<String> names = targets.stream().map(t -> t.name().toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
                assertThat(LowRank.trainableParameters(config, names, rank))
                        .as("%s, %s, r=%d; %s", config, names, rank, Seeds.reproduce("06"))
                        .isEqualTo(model.trainableParameterCount());
            }
        }
    }

    @Test
    @Tag("task06_3")
    @Task(id = "task06_3", points = 5, title = "question: LoRA's trainable parameters on Llama-2-7B",
            explanation = "r·(in + out) = 16 × 8192 per projection, four projections, 32 blocks: 16,777,216 — 0.25 % of "
                    + "6.74 billion. Its gradients and AdamW state are 268 MB, where full fine-tuning's are 80 GB.")
    void llama() {
        Answers.exactly(Questions.llamaTrainableParameters(), 32L * 4 * 16 * 8192);
    }

    @Test
    @Tag("task06_4")
    @Task(id = "task06_4", points = 5, title = "question: the share of backward a frozen base skips",
            explanation = "A linear layer's backward runs two products as large as its forward one: the input's gradient "
                    + "(needed to reach earlier layers) and the weight's (not needed when it is frozen) — half of "
                    + "backward, a third of the step: chapter 6's work column, 0.66×.")
    void backwardShare() {
        Answers.near(Questions.backwardShareSaved(), 0.5, 0.05);
    }
}
