package org.memlean.ch06;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.memlean.nn.Gpt;
import org.memlean.nn.Layer;
import org.memlean.nn.Linear;
import org.memlean.nn.ParameterFiles;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Init;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Shapes;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"): freeze every weight
 * of a pretrained model and add, to chosen linear projections, a trainable low-rank update
 * <pre>
 *   y = x·W + b + (α/r)·(x·A)·B,     A: (in, r), random;   B: (r, out), zeros
 * </pre>
 * (this framework stores W as (in, out), so A and B are the transposes of the paper's r×in and
 * out×r). B starts at zero, so the model's output at the start is the base's, exactly. Only A and B
 * get gradients and optimizer state: 2·r·d numbers per targeted d×d matrix instead of d².
 *
 * <p>The course's attention has one fused qkv projection (C → 3C). LoRA here adapts the q and v
 * <em>slices</em> of it (Hu et al.'s default targets) — a low-rank update added into columns 0…C−1
 * and 2C…3C−1 of the projection's output — rather than splitting the weight, so the pretrained
 * model's layout and its parameter files stay as they are.
 *
 * <pre>{@code
 * Lora.apply(model, Lora.DEFAULT_TARGETS, 4, 8);      // freeze, then add A·B to q and v of every block
 * Lora.merge(model);                                  // fold (α/r)·A·B into W for inference (unmerge takes it out)
 * Lora.save(model, path);                             // only A and B: a file of kilobytes
 * }</pre>
 */
public final class Lora {
    private Lora() {}

    /** The projections of a block LoRA can adapt. */
    public enum Target {
        /** The q, k and v slices of the fused attention projection. */
        Q, K, V,
        /** The attention's output projection (the paper's W_o). */
        O,
        /** The MLP's first (C → 4C) and second (4C → C) projections. */
        UP, DOWN
    }

    /** Hu et al.'s default: the query and value projections. */
    public static final Set<Target> DEFAULT_TARGETS = EnumSet.of(Target.Q, Target.V);

    /** Freezes every parameter of {@code model} and adds rank-{@code rank} updates scaled α/r to the targets. */
    public static void apply(Gpt model, Collection<Target> targets, int rank, double alpha) {
        if (rank < 1) throw new IllegalArgumentException("LoRA's rank must be ≥ 1, got " + rank);
        if (targets.isEmpty()) throw new IllegalArgumentException("LoRA needs at least one target");
        for (Tensor p : model.parameters()) p.requiresGrad(false);
        double scale = alpha / rank;
        Set<Target> qkv = EnumSet.noneOf(Target.class);
        for (Target t : targets) if (t == Target.Q || t == Target.K || t == Target.V) qkv.add(t);
        for (Layer block : model.blocks()) {
            Layer attn = block.children().get("attn");
            Layer mlp = block.children().get("mlp");
            if (!qkv.isEmpty()) attn.replaceChild("qkv", new LoraQkv((Linear) attn.children().get("qkv"), qkv, rank, scale));
            if (targets.contains(Target.O)) attn.replaceChild("proj", new LoraLinear((Linear) attn.children().get("proj"), rank, scale));
            if (targets.contains(Target.UP)) mlp.replaceChild("fc", new LoraLinear((Linear) mlp.children().get("fc"), rank, scale));
            if (targets.contains(Target.DOWN)) mlp.replaceChild("proj", new LoraLinear((Linear) mlp.children().get("proj"), rank, scale));
        }
    }

    /**
     * Trainable parameters LoRA adds to a transformer of width {@code hidden} and {@code layers}
     * blocks: r·(in + out) per targeted projection — 2·r·d for q, k, v and o; r·(d + 4d) for each MLP
     * projection. The formula {@code PeftTest} checks against the framework's count, and the
     * calculator uses at any size.
     */
    public static long trainableParameters(long hidden, long layers, Collection<Target> targets, long rank) {
        long perLayer = 0;
        for (Target t : targets) perLayer += switch (t) {
            case Q, K, V, O -> rank * (hidden + hidden);
            case UP, DOWN -> rank * (hidden + 4 * hidden);
        };
        return layers * perLayer;
    }

    /** Folds (α/r)·A·B into every adapted weight (for inference: no extra work per token). */
    public static void merge(Gpt model) {
        for (Layer m : loraModules(model)) ((Mergeable) m).merge(true);
    }

    /** Takes (α/r)·A·B out of every adapted weight again. */
    public static void unmerge(Gpt model) {
        for (Layer m : loraModules(model)) ((Mergeable) m).merge(false);
    }

    /** Saves only the LoRA parameters (A and B of every adapted projection). */
    public static void save(Gpt model, Path path) throws IOException {
        ParameterFiles.save(model, path, name -> name.contains(".lora"));
    }

    /** Loads LoRA parameters into a model with the same LoRA applied; checks everything before writing. */
    public static void load(Gpt model, Path path) throws IOException {
        ParameterFiles.loadPart(model, path);
    }

    private static List<Layer> loraModules(Gpt model) {
        List<Layer> out = new ArrayList<>();
        for (Layer block : model.blocks()) {
            for (Layer part : List.of(block.children().get("attn"), block.children().get("mlp"))) {
                for (Layer child : part.children().values()) if (child instanceof Mergeable) out.add(child);
            }
        }
        return out;
    }

    interface Mergeable {
        void merge(boolean into);
    }

    /** A (in, r) initialised with std 1/√in; B (r, out) zeros. */
    private static Tensor[] lowRank(long in, long out, int rank, DataType type) {
        Tensor a = Init.normal(type, 1 / Math.sqrt(in), in, rank);
        Tensor b = Init.zeros(type, rank, out);
        return new Tensor[] {a, b};
    }

    /** (α/r)·(x·A)·B: the low-rank update of one projection, (…, in) → (…, out). */
    static Tensor update(Tensor x, Tensor a, Tensor b, double scale) {
        return LinearAlgebra.matmul(x, a, false, false)                     // (…, r)
                .then(xa -> LinearAlgebra.matmul(xa, b, false, false))      // (…, out)
                .then(xab -> xab.mul(scale));
    }

    /** W[:, columns] ± (α/r)·A·B, in place, under no-grad. */
    static void fold(Tensor weight, Tensor a, Tensor b, double scale, long firstColumn, boolean add) {
        try (GradMode.Guard off = GradMode.noGrad()) {
            INDArray columns = weight.array().get(NDArrayIndex.all(),
                    NDArrayIndex.interval(firstColumn, firstColumn + b.size(1)));
            LinearAlgebra.matmul(a, b, false, false).then(ab -> {               // (in, out)
                Kernels.scale(ab.array(), add ? scale : -scale, ab.array());
                Kernels.add(columns, ab.array(), columns);
                return null;
            });
            weight.storage().bumpVersion();
        }
    }

    /** A linear layer with a low-rank update: parts "base" (the frozen Linear), parameters loraA, loraB. */
    static final class LoraLinear extends Layer implements Mergeable {
        private final Tensor a;
        private final Tensor b;
        private final double scale;
        private boolean merged;

        LoraLinear(Linear base, int rank, double scale) {
            child("base", base);
            Tensor w = base.weight();
            Tensor[] ab = lowRank(w.size(0), w.size(1), rank, DataType.FLOAT);
            this.a = parameter("loraA", ab[0]);
            this.b = parameter("loraB", ab[1]);
            this.scale = scale;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = part("base").forward(x);                       // x·W + b
            return merged ? y : y.then(base -> update(x, a, b, scale).then(base::add));   // + (α/r)·x·A·B
        }

        @Override
        public void merge(boolean into) {
            if (merged == into) return;
            fold(((Linear) part("base")).weight(), a, b, scale, 0, into);
            merged = into;
        }
    }

    /** The fused qkv projection with low-rank updates on some of its q, k, v slices. */
    static final class LoraQkv extends Layer implements Mergeable {
        private final Set<Target> slices;
        private final double scale;
        private final long channels;
        private boolean merged;

        LoraQkv(Linear base, Set<Target> slices, int rank, double scale) {
            child("base", base);
            this.slices = EnumSet.copyOf(slices);
            this.scale = scale;
            this.channels = base.weight().size(0);
            for (Target t : this.slices) {
                Tensor[] ab = lowRank(channels, channels, rank, DataType.FLOAT);
                parameter("loraA_" + t.name().toLowerCase(), ab[0]);
                parameter("loraB_" + t.name().toLowerCase(), ab[1]);
            }
        }

        private long offset(Target t) {
            return switch (t) {
                case Q -> 0;
                case K -> channels;
                default -> 2 * channels;
            };
        }

        private Tensor param(String name) {
            return namedParameters().get(name);
        }

        @Override
        public Tensor forward(Tensor x) {                             // x: (B, T, C)
            Tensor y = part("base").forward(x);                       // (B, T, 3C)
            if (merged) return y;
            for (Target t : slices) {
                String s = t.name().toLowerCase();
                y = y.then(sum -> update(x, param("loraA_" + s), param("loraB_" + s), scale)     // (B, T, C)
                        .then(d -> Shapes.addToSlice(sum, d, -1, offset(t))));
            }
            return y;
        }

        @Override
        public void merge(boolean into) {
            if (merged == into) return;
            Tensor w = ((Linear) part("base")).weight();
            for (Target t : slices) {
                String s = t.name().toLowerCase();
                fold(w, param("loraA_" + s), param("loraB_" + s), scale, offset(t), into);
            }
            merged = into;
        }
    }
}
