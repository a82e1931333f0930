package org.memlean.ch06;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.memlean.nn.Gelu;
import org.memlean.nn.Gpt;
import org.memlean.nn.Linear;
import org.memlean.nn.Layer;
import org.memlean.nn.ParameterFiles;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Adapters (Houlsby et al. 2019, "Parameter-Efficient Transfer Learning for NLP"): freeze the
 * pretrained model and insert, after the attention and after the MLP of every block, a small
 * bottleneck with a residual connection:
 * <pre>
 *   adapter(h) = h + up(GELU(down(h))),    down: C → m,  up: m → C, initialised near zero
 * </pre>
 * so each adapter starts close to the identity. Trainable: 2·(C·m + m + m·C + C) per block.
 * Unlike LoRA, adapters add layers that run at inference too (they cannot be merged away).
 */
public final class Adapters {
    private Adapters() {}

    /** The scale of the up-projection's initial weights: near zero, so the model starts near the base. */
    static final double UP_INIT = 1e-3;

    /** Freezes {@code model} and inserts a bottleneck of {@code bottleneck} after each attention and each MLP. */
    public static void apply(Gpt model, int bottleneck) {
        if (bottleneck < 1) throw new IllegalArgumentException("an adapter's bottleneck must be ≥ 1, got " + bottleneck);
        for (Tensor p : model.parameters()) p.requiresGrad(false);
        long c = model.config().channels();
        for (Layer block : model.blocks()) {
            for (String part : List.of("attn", "mlp")) {
                Layer inner = block.children().get(part);
                block.replaceChild(part, new WithAdapter(inner, new Adapter(c, bottleneck)));
            }
        }
    }

    /** Trainable parameters the adapters add: 2 per block of 2·C·m + m + C. */
    public static long trainableParameters(long hidden, long layers, long bottleneck) {
        return layers * 2 * (2 * hidden * bottleneck + bottleneck + hidden);
    }

    /** Saves only the adapters' parameters. */
    public static void save(Gpt model, Path path) throws IOException {
        ParameterFiles.save(model, path, name -> name.contains(".adapter."));
    }

    /** h + up(GELU(down(h))). Parts: down, gelu, up. */
    static final class Adapter extends Layer {
        Adapter(long channels, long bottleneck) {
            child("down", new Linear(channels, bottleneck, true, DataType.FLOAT));
            child("gelu", new Gelu());
            Linear up = child("up", new Linear(bottleneck, channels, true, DataType.FLOAT));
            try (GradMode.Guard off = GradMode.noGrad()) {
                Kernels.scale(up.weight().array(), UP_INIT / 0.02, up.weight().array());   // std 0.02 → 0.001
            }
        }

        @Override
        public Tensor forward(Tensor h) {
            return part("down").forward(h).then(part("gelu")).then(part("up")).then(h::add);   // h + up(gelu(down(h)))
        }
    }

    /** A module followed by its adapter. Parts: module, adapter. */
    static final class WithAdapter extends Layer {
        WithAdapter(Layer module, Adapter adapter) {
            child("module", module);
            child("adapter", adapter);
        }

        @Override
        public Tensor forward(Tensor x) {
            return part("module").forward(x).then(part("adapter"));
        }
    }
}
