package org.memlean.ch10;

import java.util.Arrays;
import java.util.List;
import org.memlean.memory.Construction;
import org.memlean.nn.BatchNorm2d;
import org.memlean.nn.Block;
import org.memlean.nn.Sequential;
import org.memlean.nn.Conv2d;
import org.memlean.nn.Embedding;
import org.memlean.nn.GptConfig;
import org.memlean.nn.Layer;
import org.memlean.nn.LayerNorm;
import org.memlean.nn.Linear;
import org.memlean.nn.MultiHeadAttention;
import org.memlean.nn.Silu;
import org.memlean.tensor.Convolution;
import org.memlean.tensor.Shapes;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * MobileViT (Mehta & Rastegari 2021, "MobileViT: Light-weight, General-purpose, and Mobile-friendly
 * Vision Transformer"): a convolutional network of MobileNetV2 blocks with a few transformer blocks
 * inside, the transformer working on patches of the feature map rather than on the image.
 *
 * <ul>
 *   <li><b>Inverted residual</b> (MobileNetV2): a 1×1 convolution widens C to t·C, a 3×3 depthwise
 *       convolution (one 3×3 filter per channel: 9·t·C weights instead of 9·(t·C)²) works within each
 *       channel, a 1×1 convolution narrows back; the residual skips the block when the shape allows.</li>
 *   <li><b>MobileViT block</b>: a 3×3 and a 1×1 convolution (local), the map cut into 2×2 patches and
 *       each of the 4 pixel positions attending across all patches (global), folded back, projected,
 *       and fused with the block's input by a 3×3 convolution.</li>
 * </ul>
 *
 * <p>The configurations are the paper's (XXS, XS, S), as its reference implementation (ml-cvnets)
 * builds them: convolutions without bias, each followed by batch norm; SiLU; transformer layers with
 * 4 heads, pre-norm, a SiLU feed-forward of width 2d.
 */
public final class MobileVit {
    private MobileVit() {}

    /** One stage of MobileViT blocks: its output channels, transformer width d, feed-forward width, depth. */
    public record Stage(int channels, int dim, int ffn, int depth) {}

    /** A configuration: stem 16 channels; the MobileNetV2 stages' channels; the expansion; three MobileViT stages. */
    public record Spec(String name, int layer1, int layer2, int expansion, List<Stage> stages, int classes) {
        public Spec withClasses(int n) {
            return new Spec(name, layer1, layer2, expansion, stages, n);
        }
    }

    /** The paper's configurations (ml-cvnets' "xx_small", "x_small", "small"), 1000 classes. */
    public static Spec published(String name) {
        return switch (name) {
            case "xxs" -> new Spec("MobileViT-XXS", 16, 24, 2,
                    List.of(new Stage(48, 64, 128, 2), new Stage(64, 80, 160, 4), new Stage(80, 96, 192, 3)), 1000);
            case "xs" -> new Spec("MobileViT-XS", 32, 48, 4,
                    List.of(new Stage(64, 96, 192, 2), new Stage(80, 120, 240, 4), new Stage(96, 144, 288, 3)), 1000);
            case "s" -> new Spec("MobileViT-S", 32, 64, 4,
                    List.of(new Stage(96, 144, 288, 2), new Stage(128, 192, 384, 4), new Stage(160, 240, 480, 3)), 1000);
            default -> throw new IllegalArgumentException("unknown MobileViT configuration '" + name + "': xxs, xs or s");
        };
    }

    /** The paper's parameter counts (Table 1 of its appendix / Figure 1), millions. */
    public static double paperMillions(String name) {
        return switch (name) {
            case "xxs" -> 1.3;
            case "xs" -> 2.3;
            case "s" -> 5.6;
            default -> throw new IllegalArgumentException("unknown MobileViT configuration '" + name + "'");
        };
    }

    /** MobileNetV2's rounding of a channel count to a multiple of 8 (never below 90 %). */
    static int divisible(double v) {
        int r = Math.max(8, (int) (v + 4) / 8 * 8);
        if (r < 0.9 * v) r += 8;
        return r;
    }

    /** Convolution (no bias), batch norm, optionally SiLU. Padding keeps the size at stride 1. */
    static final class ConvBn extends Layer {
        private final boolean act;

        ConvBn(int in, int out, int kernel, int stride, int groups, boolean norm, boolean act) {
            this.act = act;
            child("conv", new Conv2d(in, out, kernel, stride, (kernel - 1) / 2, groups, false, DataType.FLOAT));
            if (norm) child("norm", new BatchNorm2d(out, DataType.FLOAT));
            if (act) child("act", new Silu());
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = part("conv").forward(x);
            if (children().containsKey("norm")) y = y.then(part("norm"));
            return act ? y.then(part("act")) : y;
        }
    }

    /** MobileNetV2's inverted residual: 1×1 widen (if t > 1), 3×3 depthwise, 1×1 narrow; residual if shapes allow. */
    public static final class InvertedResidual extends Layer {
        private final boolean residual;

        public InvertedResidual(int in, int out, int stride, int expansion) {
            int hidden = divisible(Math.round(in * (double) expansion));
            if (expansion != 1) child("expand", new ConvBn(in, hidden, 1, 1, 1, true, true));
            child("depthwise", new ConvBn(hidden, hidden, 3, stride, hidden, true, true));
            child("project", new ConvBn(hidden, out, 1, 1, 1, true, false));
            this.residual = stride == 1 && in == out;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor widened = children().containsKey("expand") ? part("expand").forward(x) : x;
            Tensor y = widened.then(part("depthwise")).then(part("project"));
            return residual ? y.then(x::add) : y;
        }
    }

    /** A pre-norm transformer layer of width d: attention (4 heads, no mask), a SiLU feed-forward of width f. */
    static Block transformerLayer(int dim, int ffn, int heads) {
        GptConfig c = GptConfig.defaults().withChannels(dim).withHeads(heads).withCausal(false);
        Layer feedForward = new Sequential().add("fc", new Linear(dim, ffn, true, DataType.FLOAT))
                .add("act", new Silu()).add("proj", new Linear(ffn, dim, true, DataType.FLOAT));
        return new Block(new LayerNorm(dim, DataType.FLOAT), new MultiHeadAttention(c),
                new LayerNorm(dim, DataType.FLOAT), feedForward);
    }

    /** The MobileViT block: local convolutions, attention across 2×2 patches, fold, project, fuse. */
    public static final class Block2d extends Layer {
        private final int depth;
        private final int dim;

        public Block2d(int channels, Stage stage) {
            this.depth = stage.depth();
            this.dim = stage.dim();
            child("local3x3", new ConvBn(channels, channels, 3, 1, 1, true, true));
            child("local1x1", new ConvBn(channels, stage.dim(), 1, 1, 1, false, false));
            for (int i = 0; i < depth; i++) child("transformer." + i, transformerLayer(stage.dim(), stage.ffn(), 4));
            child("norm", new LayerNorm(stage.dim(), DataType.FLOAT));
            child("project", new ConvBn(stage.dim(), channels, 1, 1, 1, true, true));
            child("fuse", new ConvBn(2 * channels, channels, 3, 1, 1, true, true));
        }

        @Override
        public Tensor forward(Tensor x) {                                     // (B, C, H, W), H and W even
            long b = x.size(0);
            long h = x.size(2);
            long w = x.size(3);
            if (h % 2 != 0 || w % 2 != 0) {
                throw new IllegalArgumentException("a MobileViT block needs an even height and width for its 2×2 "
                        + "patches, got " + h + "×" + w);
            }
            Tensor patches = part("local3x3").forward(x).then(part("local1x1"))      // (B, d, H, W)
                    .then(MobileVit::unfold);                                       // (B·4, N, d)
            for (int i = 0; i < depth; i++) patches = patches.then(part("transformer." + i));
            return patches.then(part("norm"))
                    .then(normed -> fold(normed, b, h, w))                          // (B, d, H, W)
                    .then(part("project"))                                          // (B, C, H, W)
                    .then(projected -> Shapes.concat(1, x, projected))              // (B, 2C, H, W)
                    .then(part("fuse"));
        }
    }

    /**
     * Cuts a map (B, d, H, W) into 2×2 patches: (B·4, N, d), one sequence of N = H·W/4 patches for each
     * of the 4 pixel positions in a patch — attention then mixes the same pixel across all patches.
     */
    public static Tensor unfold(Tensor map) {
        long b = map.size(0);
        long d = map.size(1);
        long h = map.size(2);
        long w = map.size(3);
        return map.reshape(b, d, h / 2, 2, w / 2, 2)                            // (B, d, H/2, 2, W/2, 2)
                .then(r -> r.permute(0, 3, 5, 2, 4, 1))                            // (B, 2, 2, H/2, W/2, d)
                .then(p -> p.reshape(b * 4, h * w / 4, d));
    }

    /** The inverse of {@link #unfold}: (B·4, N, d) back to (B, d, H, W). */
    public static Tensor fold(Tensor patches, long b, long h, long w) {
        long d = patches.size(2);
        return patches.reshape(b, 2, 2, h / 2, w / 2, d)
                .then(f -> f.permute(0, 5, 3, 1, 4, 2))                            // (B, d, H/2, 2, W/2, 2)
                .then(q -> q.reshape(b, d, h, w));
    }

    /** The whole network: (B, 3, H, W) images → (B, classes) logits. H and W divisible by 64. */
    public static final class Model extends Layer {
        private final Spec spec;

        public Model(Spec spec) {
            this.spec = spec;
            try (Construction construction = Construction.begin()) {
                child("stem", new ConvBn(3, 16, 3, 2, 1, true, true));
                int in = 16;
                child("layer1.0", new InvertedResidual(in, spec.layer1(), 1, spec.expansion()));
                in = spec.layer1();
                for (int i = 0; i < 3; i++) {
                    child("layer2." + i, new InvertedResidual(in, spec.layer2(), i == 0 ? 2 : 1, spec.expansion()));
                    in = spec.layer2();
                }
                int k = 3;
                for (Stage s : spec.stages()) {
                    child("layer" + k + ".down", new InvertedResidual(in, s.channels(), 2, spec.expansion()));
                    in = s.channels();
                    child("layer" + k + ".vit", new Block2d(in, s));
                    k++;
                }
                int expanded = Math.min(4 * in, 960);
                child("expand", new ConvBn(in, expanded, 1, 1, 1, true, true));
                child("classifier", new Linear(expanded, spec.classes(), true, DataType.FLOAT));
                construction.done();
            }
        }

        public Spec spec() {
            return spec;
        }

        @Override
        public Tensor forward(Tensor images) {
            long size = images.size(2);
            if (images.rank() != 4 || images.size(1) != 3 || size % 64 != 0 || images.size(3) != size) {
                throw new IllegalArgumentException("MobileViT takes square (B, 3, H, H) images with H a multiple of 64, got "
                        + Arrays.toString(images.shape()));
            }
            Tensor x = null;
            for (String name : children().keySet()) {
                if (name.equals("classifier")) break;
                x = x == null ? part(name).forward(images) : x.then(part(name));
            }
            int s = (int) x.size(2);
            return x.then(map -> Convolution.avgPool2d(map, s, s))                 // global average: (B, C, 1, 1)
                    .then(pooled -> pooled.reshape(pooled.size(0), pooled.size(1)))
                    .then(part("classifier"));
        }
    }

    /**
     * A plain ViT for comparison: p×p patches embedded by a strided convolution, a learned position
     * embedding, the course's (non-causal) blocks, a final norm, the mean over patches, a linear head.
     */
    public static final class Vit extends Layer {
        private final int patch;
        private final int dim;
        private final int layers;

        public Vit(int imageSize, int patch, int dim, int layers, int heads, int classes) {
            this.patch = patch;
            this.dim = dim;
            this.layers = layers;
            int tokens = (imageSize / patch) * (imageSize / patch);
            try (Construction construction = Construction.begin()) {
                child("patches", new Conv2d(3, dim, patch, patch, 0, 1, true, DataType.FLOAT));
                child("positions", new Embedding(tokens, dim, DataType.FLOAT));
                GptConfig c = GptConfig.defaults().withChannels(dim).withHeads(heads).withBlockSize(tokens).withCausal(false);
                for (int i = 0; i < layers; i++) child("blocks." + i, new Block(c));
                child("norm", new LayerNorm(dim, DataType.FLOAT));
                child("classifier", new Linear(dim, classes, true, DataType.FLOAT));
                construction.done();
            }
        }

        @Override
        public Tensor forward(Tensor images) {                                   // (B, 3, S, S)
            long b = images.size(0);
            Tensor tokens = part("patches").forward(images)                          // (B, d, S/p, S/p)
                    .then(e -> e.reshape(b, dim, e.size(2) * e.size(3)))
                    .then(flat -> flat.permute(0, 2, 1));                            // (B, N, d)
            long n = tokens.size(1);
            int[] ids = new int[(int) n];
            for (int i = 0; i < n; i++) ids[i] = i;
            Tensor positionIds = Tensor.ofInts(ids, n);
            Tensor x = tokens.then(t -> positionIds.then(part("positions")).then(t::add));   // + (N, d)
            for (int i = 0; i < layers; i++) x = x.then(part("blocks." + i));
            return x.then(part("norm"))
                    .then(normed -> normed.mean(false, 1))                           // (B, d)
                    .then(part("classifier"));
        }
    }
}
