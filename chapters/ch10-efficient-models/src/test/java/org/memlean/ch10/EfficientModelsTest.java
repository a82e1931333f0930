package org.memlean.ch10;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memlean.ch10.Albert.Sharing;
import org.memlean.ch10.Albert.Spec;
import org.memlean.lab.Experiment;
import org.memlean.lab.Size;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.LeakCheck;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Conv2d;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** ALBERT's and MobileViT's parameters against the modules and the papers; what sharing saves and what it does not. */
class EfficientModelsTest {
    private static final EfficientModelsChapter.Setup QUICK = EfficientModelsChapter.setup(Size.QUICK);

    @Test
    void theEncoderFormulaCountsTheModulesForEverySharingAndWidth() {
        for (Sharing sharing : Sharing.values()) {
            for (int e : new int[] {16, 64}) {
                Spec s = EfficientModelsChapter.bert().withEmbedding(e).withSharing(sharing);
                try (Albert.Encoder model = new Albert.Encoder(s)) {
                    assertThat(model.parameterCount() - Albert.headParameters(s)).as("%s, E=%d", sharing, e)
                            .isEqualTo(Albert.parameterCount(s));
                }
            }
        }
    }

    /**
     * The paper's Table 1, from its own hyper-parameters: BERT within 1.5 % (the table seems to leave
     * BERT's pooler out — 108.5M without it, 109.1M with), ALBERT base and large within
     * 3 % (the table rounds to millions), xlarge 2 % below, xxlarge 5 % below the printed 235M.
     */
    @Test
    void thePublishedConfigurationsCountAsThePaperSays() {
        Map<String, Double> tolerance = new LinkedHashMap<>();
        tolerance.put("bert-base", 1.5);
        tolerance.put("bert-large", 1.5);
        tolerance.put("albert-base", 3.0);
        tolerance.put("albert-large", 3.0);
        tolerance.put("albert-xlarge", 3.0);
        tolerance.put("albert-xxlarge", 6.0);
        tolerance.forEach((name, pct) -> assertThat((double) Albert.parameterCount(Albert.published(name)))
                .as(name).isCloseTo(Albert.paperMillions(name) * 1e6, withinPercentage(pct)));
        // sharing is what makes ALBERT small: base with its 12 blocks unshared is 7.7× larger
        Spec base = Albert.published("albert-base");
        assertThat((double) Albert.parameterCount(base.withSharing(Sharing.NONE)) / Albert.parameterCount(base))
                .isCloseTo(7.67, within(0.01));
    }

    @Test
    void mobileVitBuiltFromTheFrameworksModulesHasThePapersParameters() {
        for (String name : new String[] {"xxs", "xs", "s"}) {
            try (MobileVit.Model model = new MobileVit.Model(MobileVit.published(name))) {
                assertThat((double) model.parameterCount()).as(name)
                        .isCloseTo(MobileVit.paperMillions(name) * 1e6, withinPercentage(2.5));
            }
        }
        // a depthwise 3×3 convolution has 9 weights a channel; a full one 9·C a channel
        try (Conv2d depthwise = new Conv2d(64, 64, 3, 1, 1, 64, false, DataType.FLOAT);
             Conv2d full = new Conv2d(64, 64, 3, 1, 1, 1, false, DataType.FLOAT)) {
            assertThat(depthwise.parameterCount()).isEqualTo(64 * 9);
            assertThat(full.parameterCount()).isEqualTo(64 * 64 * 9);
        }
    }

    @Test
    void foldUndoesUnfold() {
        float[] v = new float[2 * 3 * 4 * 6];
        for (int i = 0; i < v.length; i++) v[i] = i;
        try (Scope s = Scope.open(); GradMode.Guard g = GradMode.noGrad()) {
            Tensor map = Tensor.of(v, 2, 3, 4, 6);
            Tensor patches = MobileVit.unfold(map);
            assertThat(patches.shape()).containsExactly(8, 6, 3);                   // B·4 sequences of H·W/4 patches
            // sequence 0 is the top-left pixel of every patch of image 0: (0,0), (0,2), (0,4), (2,0), …
            assertThat(patches.toFloatArray()[3]).isEqualTo(v[2]);                   // patch 1, channel 0: x = 2
            assertThat(MobileVit.fold(patches, 2, 4, 6).toFloatArray()).containsExactly(v);
        }
    }

    /**
     * Sharing divides the parameters, gradients and AdamW state (each equal to its formula) but not
     * the activations: every application of the shared block saves its own, to the byte as many as
     * the unshared encoder's.
     */
    @Test
    void sharingShrinksModelStatesToTheFormulaAndLeavesActivationsExactlyAsTheyWere() {
        Map<String, Map<Category, Long>> max = new LinkedHashMap<>();
        Map<String, Spec> specs = new LinkedHashMap<>(EfficientModelsChapter.encoders());
        specs.put("all shared, E=H", EfficientModelsChapter.bert().withSharing(Sharing.ALL));
        for (Map.Entry<String, Spec> e : specs.entrySet()) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start(e.getKey(), false);
                 Experiment.Session s = EfficientModelsChapter.encoderSession(e.getValue(), QUICK)) {
                s.step(0);
                s.step(1);
                max.put(e.getKey(), meter.maxByCategory());
                long params = Albert.parameterCount(e.getValue()) + Albert.headParameters(e.getValue());
                assertThat(max.get(e.getKey()).get(Category.PARAMETER)).as(e.getKey()).isEqualTo(4 * params);
                long pooler = 64L * 64 + 64;                  // the pooler is not on the masked-token loss's path
                assertThat(max.get(e.getKey()).get(Category.GRADIENT)).as(e.getKey()).isEqualTo(4 * (params - pooler));
                // AdamW makes state at a parameter's first gradient: the pooler never gets one
                assertThat(max.get(e.getKey()).get(Category.OPTIMIZER_STATE)).as(e.getKey()).isEqualTo(8 * (params - pooler));
            }
        }
        long bert = max.get("BERT-style").get(Category.ACTIVATION);
        for (String same : new String[] {"shared attention", "shared FFN", "all shared, E=H"}) {
            assertThat(max.get(same).get(Category.ACTIVATION)).as(same).isEqualTo(bert);
        }
        // a narrower embedding saves only the embeddings' own activations (E instead of H wide), a sliver
        assertThat(max.get("ALBERT").get(Category.ACTIVATION)).isLessThan(bert).isGreaterThan(bert * 9 / 10);
    }

    @Test
    void mobileVitsActivationsAreTheConvolutionsAndViTsTheAttention() {
        Map<String, Long> mobile;
        Map<String, Long> vit;
        try (var m = EfficientModelsChapter.vision("MobileViT-XXS", QUICK); var v = EfficientModelsChapter.vision("ViT", QUICK)) {
            Quadrants data = new Quadrants(QUICK.imageSize(), 1);
            try (Quadrants.Batch b = data.next(QUICK.imageBatch())) {
                mobile = EfficientModelsChapter.activationsByOp(m, model -> model.forward(b.images()));
                vit = EfficientModelsChapter.activationsByOp(v, model -> model.forward(b.images()));
            }
        }
        long convolutional = mobile.entrySet().stream().filter(e -> e.getKey().matches("conv2d|batchNorm2d|silu|add|concat"))
                .mapToLong(Map.Entry::getValue).sum();
        long total = mobile.values().stream().mapToLong(Long::longValue).sum();
        assertThat((double) convolutional / total).as("MobileViT: the convolutional ops' share").isGreaterThan(0.5);
        long tokens = (long) (QUICK.imageSize() / 8) * (QUICK.imageSize() / 8);     // 8×8 patches
        assertThat(vit.get("softmax")).as("ViT: 5 layers × B × 4 heads × N² probabilities, float32")
                .isEqualTo(5L * QUICK.imageBatch() * 4 * tokens * tokens * 4);
    }

    @Test
    void noArmLeaks() {
        for (Map.Entry<String, Spec> e : EfficientModelsChapter.encoders().entrySet()) {
            try (Experiment.Session s = EfficientModelsChapter.encoderSession(e.getValue(), QUICK)) {
                LeakCheck.run(1, 3, s::step).assertNoLeak(e.getKey());
            }
        }
        for (String name : new String[] {"ViT", "MobileViT-XXS"}) {
            try (Experiment.Session s = EfficientModelsChapter.visionSession(name, QUICK)) {
                LeakCheck.run(1, 2, s::step).assertNoLeak(name);
            }
        }
    }
}
