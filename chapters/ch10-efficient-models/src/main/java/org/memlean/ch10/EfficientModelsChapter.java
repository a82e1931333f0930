package org.memlean.ch10;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.memlean.ch10.Albert.Sharing;
import org.memlean.ch10.Albert.Spec;
import org.memlean.lab.Chapter;
import org.memlean.lab.Experiment;
import org.memlean.lab.Report;
import org.memlean.lab.Size;
import org.memlean.lab.Training;
import org.memlean.memory.Category;
import org.memlean.memory.Listener;
import org.memlean.memory.Listeners;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.memory.Storage;
import org.memlean.nn.Layer;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Losses;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Chapter 10's experiment, in two groups. Language: a BERT-style encoder trained on masked
 * palindromes against ALBERT (factorised embeddings and one shared block) and each change alone.
 * Vision: a plain ViT against MobileViT-XXS on small synthetic images.
 */
public final class EfficientModelsChapter implements Chapter {
    /** Sizes: the encoder's batch, the images' batch and side, the measured steps. */
    public record Setup(int textBatch, int imageBatch, int imageSize, int steps) {}

    public static Setup setup(Size size) {
        return size == Size.QUICK ? new Setup(4, 2, 64, 2) : new Setup(8, 4, 64, 3);
    }

    /** The course-sized encoders: V = 512, T = 16, H = 64, L = 4, 4 heads; ALBERT's E = 16. */
    public static final int VOCAB = 512;
    public static final int LENGTH = 16;
    public static final int EMBEDDING = 16;

    public static Spec bert() {
        return new Spec(VOCAB, LENGTH, 2, 64, 64, 4, 4, Sharing.NONE, 0);
    }

    public static Spec albert() {
        return bert().withEmbedding(EMBEDDING).withSharing(Sharing.ALL);
    }

    /** The language arms, in order. */
    public static Map<String, Spec> encoders() {
        Map<String, Spec> out = new LinkedHashMap<>();
        out.put("BERT-style", bert());
        out.put("ALBERT", albert());
        out.put("factorised E=16", bert().withEmbedding(EMBEDDING));
        out.put("shared attention", bert().withSharing(Sharing.ATTENTION));
        out.put("shared FFN", bert().withSharing(Sharing.FFN));
        return out;
    }

    /** The vision models: MobileViT-XXS with 4 classes, and a ViT of about as many parameters (patch 8, d 128, 5 blocks). */
    public static Layer vision(String name, Setup s) {
        Rng.seed(113);
        return name.equals("ViT")
                ? new MobileVit.Vit(s.imageSize(), 8, 128, 5, 4, 4)
                : new MobileVit.Model(MobileVit.published("xxs").withClasses(4));
    }

    @Override
    public int number() {
        return 10;
    }

    @Override
    public String title() {
        return "Efficient models（高效模型）";
    }

    @Override
    public String technique() {
        return "ALBERT: factorised, shared";
    }

    @Override
    public Report run(Size size) {
        Setup s = setup(size);
        List<Experiment.Arm> arms = new ArrayList<>();
        for (Map.Entry<String, Spec> e : encoders().entrySet()) {
            arms.add(Experiment.arm(e.getKey(), () -> encoderSession(e.getValue(), s)));
        }
        int vit = arms.size();
        arms.add(Experiment.arm("ViT", () -> visionSession("ViT", s)).against(vit));
        arms.add(Experiment.arm("MobileViT-XXS", () -> visionSession("MobileViT-XXS", s)).against(vit));
        Map<String, Long> predicted = new LinkedHashMap<>();
        for (Map.Entry<String, Spec> e : encoders().entrySet()) {
            predicted.put(e.getKey() + ": parameters + gradients + AdamW state (16 bytes a parameter)",
                    16 * (Albert.parameterCount(e.getValue()) + Albert.headParameters(e.getValue())));
        }
        return Experiment.report(this, size, arms, s.steps(), 1, predicted);
    }

    public static Experiment.Session encoderSession(Spec spec, Setup s) {
        Rng.seed(109);
        Albert.Encoder model = new Albert.Encoder(spec);
        AdamW adam = new AdamW(model.parameters(), 3e-3, 0.9, 0.99, 1e-8, 0);
        MaskedPalindromes task = new MaskedPalindromes(spec.vocab(), LENGTH, 127);
        return Experiment.Session.of(i -> Training.step(model, adam, () -> {
            MaskedPalindromes.Batch b = task.next(s.textBatch());         // its tensors: the step's scope frees them
            return model.maskedLoss(b.ids(), b.masked(), b.targets());
        }), adam, model);
    }

    public static Experiment.Session visionSession(String name, Setup s) {
        Layer model = vision(name, s);
        AdamW adam = new AdamW(model.parameters(), 1e-3, 0.9, 0.99, 1e-8, 0);
        Quadrants task = new Quadrants(s.imageSize(), 131);
        return Experiment.Session.of(i -> Training.step(model, adam, () -> {
            Quadrants.Batch b = task.next(s.imageBatch());
            return model.forward(b.images())                                          // (B, 4)
                    .then(logits -> logits.reshape(logits.size(0), 1, 4))
                    .then(logits -> Losses.crossEntropy(logits, b.labels()));
        }), adam, model);
    }

    /**
     * Where the activations are at the end of a forward: the ACTIVATION bytes alive then, by the op
     * that made each buffer ("conv2d", "silu", "softmax", …), largest first.
     */
    public static Map<String, Long> activationsByOp(Layer model, Function<Layer, Tensor> forward) {
        List<Storage> made = new ArrayList<>();
        Listener l = new Listener() {
            @Override
            public void allocated(Storage storage) {
                made.add(storage);
            }

            @Override
            public boolean releasing(Storage storage, INDArray array) {
                return false;
            }
        };
        Map<String, Long> byOp = new TreeMap<>();
        try (Scope s = Scope.open()) {
            Listeners.add(l);
            try {
                forward.apply(model);
            } finally {
                Listeners.remove(l);
            }
            for (Storage st : made) {
                if (!st.isFreed() && st.category() == Category.ACTIVATION) {
                    byOp.merge(st.label() == null ? "other" : st.label(), st.bytes(), Long::sum);
                }
            }
        }
        Map<String, Long> sorted = new LinkedHashMap<>();
        byOp.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }
}
