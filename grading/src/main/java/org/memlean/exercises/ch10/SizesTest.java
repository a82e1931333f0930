package org.memlean.exercises.ch10;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.ch10.Albert;
import org.memlean.grading.Answers;
import org.memlean.grading.Seeds;
import org.memlean.grading.Task;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Conv2d;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Graded against the framework's own parameter counts and the meter. */
class SizesTest {
    @Test
    @Tag("task10_1")
    @Task(id = "task10_1", points = 20, title = "ALBERT's factorised embedding, counted")
    void yourEmbeddingCountIsTheEncoders() {
        SplittableRandom random = Seeds.forTest(getClass(), "embedding");
        for (int run = 0; run < 4; run++) {
            int v = 100 + random.nextInt(40_000);
            int e = 8 + random.nextInt(120);
            int h = 4 * (8 + random.nextInt(190));
            Albert.Spec factorised = new Albert.Spec(v, 8, 2, e, h, 1, 4, Albert.Sharing.NONE, 0);
            Albert.Spec bert = factorised.withEmbedding(h);
            // the framework's count: the encoders differ only in their embeddings
            long framework = Albert.parameterCount(bert) - Albert.parameterCount(factorised)
                    - (8L + 2) * (h - e) - 2L * (h - e);                  // positions, types and the norm are E wide too
            assertThat(Sizes.embeddingSaving(v, e, h)).as("V=%d, E=%d, H=%d: the saving; %s", v, e, h, Seeds.reproduce("10"))
                    .isEqualTo(framework);
            assertThat(Sizes.factorisedEmbedding(v, e, h)).as("V=%d, E=%d, H=%d", v, e, h)
                    .isEqualTo((long) v * h - framework);
        }
        {
            try (Albert.Encoder small = new Albert.Encoder(new Albert.Spec(512, 8, 2, 16, 64, 1, 4, Albert.Sharing.NONE, 0))) {
                long word = small.namedParameters().get("embeddings.word.weight").length();
                long projection = small.namedParameters().get("projection.weight").length()
                        + small.namedParameters().get("projection.bias").length();
                assertThat(Sizes.factorisedEmbedding(512, 16, 64)).as("against the built modules").isEqualTo(word + projection);
            }
        }
    }

    /** Parameter, gradient + state and end-of-forward activation bytes of an encoder, one AdamW step, measured. */
    private static long[] measure(Albert.Spec spec, long batch, long time) {
        Rng.seed(3);
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("encoder", false); Albert.Encoder model = new Albert.Encoder(spec);
             AdamW adam = new AdamW(model.parameters(), 1e-3)) {
            long activations;
            try (Scope step = Scope.open()) {
                int[] ids = new int[(int) (batch * time)];
                for (int i = 0; i < ids.length; i++) ids[i] = i % spec.vocab();
                Tensor out = model.forward(Tensor.ofInts(ids, batch, time));
                activations = meter.liveBytes(Category.ACTIVATION);
                out.sum().backward();
                adam.step();
            }
            long kept = meter.liveBytes(Category.GRADIENT) + meter.liveBytes(Category.OPTIMIZER_STATE);
            adam.zeroGrad(true);
            return new long[] {meter.liveBytes(Category.PARAMETER), kept, activations};
        }
    }

    @Test
    @Tag("task10_2")
    @Task(id = "task10_2", points = 20, title = "what ALBERT's sharing saves, and what it does not")
    void yourSavingsAreTheMeasuredDifferenceBetweenSharedAndUnshared() {
        SplittableRandom r = Seeds.forTest(getClass(), "sharing");
        int heads = new int[] {1, 2, 4}[r.nextInt(3)];
        int hidden = heads * (8 + 4 * r.nextInt(3));
        int layers = 2 + r.nextInt(4);
        int vocab = 20 + r.nextInt(200);
        int embedding = 8 + r.nextInt(16);
        long batch = 1 + r.nextInt(6);
        long time = 4 + r.nextInt(8);
        Albert.Spec unshared = new Albert.Spec(vocab, (int) time, 2, embedding, hidden, layers, heads, Albert.Sharing.NONE, 0);
        long[] apart = measure(unshared, batch, time);
        long[] shared = measure(unshared.withSharing(Albert.Sharing.ALL), batch, time);
        Sizes.Saved saved = Sizes.sharingSaves(vocab, embedding, hidden, layers, heads, batch, time);
        String what = String.format("V=%d E=%d H=%d L=%d heads=%d B=%d T=%d; %s", vocab, embedding, hidden, layers, heads,
                batch, time, Seeds.reproduce("10"));
        assertThat(saved).as(what).isNotNull();
        assertThat(saved.parameterBytes()).as("parameters, %s", what).isEqualTo(apart[0] - shared[0]);
        assertThat(saved.gradientAndStateBytes()).as("gradients and AdamW's state, %s", what).isEqualTo(apart[1] - shared[1]);
        assertThat(saved.activationBytes()).as("activations at the end of forward, %s", what).isEqualTo(apart[2] - shared[2]);
    }

    @Test
    @Tag("task10_3")
    @Task(id = "task10_3", points = 5, title = "question: ALBERT-xxlarge without its pooler",
            explanation = "Embeddings (30,000 + 512 + 2)·128 + 256, the projection 128·4096 + 4096, one shared block "
                    + "12H² + 13H: 205,814,272. The pooler (H² + H) makes it 222,595,584 — neither is the paper's 235M.")
    void xxlarge() {
        Answers.exactly(Questions.albertXxlargeWithoutPooler(), 205_814_272L);
    }

    @Test
    @Tag("task10_4")
    @Task(id = "task10_4", points = 5, title = "question: what sharing does to activations",
            explanation = "Nothing: every layer still runs, and each saves its own inputs for backward. Sharing saves "
                    + "parameters, their gradients and their optimizer state — model states — not one byte of activations.")
    void activations() {
        Answers.near(Questions.sharedOverUnsharedActivations(), 1.0, 0.01);
    }
}
