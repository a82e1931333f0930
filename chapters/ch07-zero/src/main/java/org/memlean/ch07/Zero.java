package org.memlean.ch07;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memlean.data.Batch;
import org.memlean.data.Examples;
import org.memlean.dist.Collective;
import org.memlean.lab.Training;
import org.memlean.lab.Training.Update;
import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.memory.Storage;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.nn.Layer;
import org.memlean.optim.AdamSettings;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Hooks;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * ZeRO (Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion Parameter
 * Models"): data parallelism without the redundancy. Every rank of a data-parallel group holds the
 * same model states — parameters, gradients, optimizer state — yet needs only 1/N of the optimizer
 * work. ZeRO partitions them, stage by stage:
 *
 * <pre>
 *              parameters   gradients   optimizer state    traffic per step (per rank)
 *   DDP        all          all         all                all-reduce grads           2Ψ(N−1)/N
 *   ZeRO-1     all          all         1/N                reduce-scatter + gather    2Ψ(N−1)/N
 *   ZeRO-2     all          1/N         1/N                the same, as backward goes 2Ψ(N−1)/N
 *   ZeRO-3     1/N          1/N         1/N                gather ×2 + reduce-scatter 3Ψ(N−1)/N
 * </pre>
 *
 * <p>Each parameter is flattened and split into N chunks of s = ⌈n/N⌉ elements (DeepSpeed ZeRO-3's
 * per-parameter partition; PyTorch's FSDP1 shards a flattened unit, FSDP2 rows; the
 * last chunk padded), and rank r owns chunk r: the AdamW moments of that chunk, its reduced gradient
 * (stages 2 and 3) and its values (stage 3). A {@link Replica} is one rank's model and runs on that
 * rank's thread; the ranks talk only through their {@link Collective}.
 */
public final class Zero {
    private Zero() {}

    /** What a rank partitions. */
    public enum Stage {
        DDP("ddp"), ZERO1("zero1"), ZERO2("zero2"), ZERO3("zero3");

        private final String id;

        Stage(String id) {
            this.id = id;
        }

        /** "ddp", "zero1", …: the arm's name. */
        public String id() {
            return id;
        }

        boolean partitionsOptimizerState() {
            return this != DDP;
        }

        boolean partitionsGradients() {
            return this == ZERO2 || this == ZERO3;
        }

        boolean partitionsParameters() {
            return this == ZERO3;
        }
    }

    // ---------------------------------------------------------------- the formulas (one home)

    /**
     * Bytes of model states per device (the paper's Figure 1): parameters of {@code paramBytes},
     * gradients of {@code gradBytes} and K bytes of optimizer state per parameter, each held whole (Ψ
     * elements) or as a shard ({@code shard} elements: Ψ/N, or the padded S a rank really holds) by
     * what the stage partitions. The paper's mixed precision: 2, 2, K = 12; this course's float32 AdamW: 4, 4, 8.
     */
    public static long modelStateBytes(Stage stage, long psi, long shard, int paramBytes, int gradBytes, int k) {
        long p = stage.partitionsParameters() ? shard : psi;
        long g = stage.partitionsGradients() ? shard : psi;
        long o = stage.partitionsOptimizerState() ? shard : psi;
        return paramBytes * p + gradBytes * g + (long) k * o;
    }

    /** Elements of one rank's shards: S = Σ ⌈nᵢ/N⌉ over the parameters (Ψ/N plus padding). */
    public static long shardElements(Map<String, long[]> shapes, int ranks) {
        long s = 0;
        for (long[] shape : shapes.values()) s += Collective.chunk(elements(shape), ranks);
        return s;
    }

    /**
     * Bytes one rank sends per step, counted as a ring sends them: DDP's all-reduce and ZeRO-1/2's
     * reduce-scatter plus all-gather move 2(N−1) chunks of every parameter, ZeRO-3's two all-gathers
     * and one reduce-scatter 3(N−1): 2·(N−1)·S or 3·(N−1)·S elements, ≈ 2Ψ(N−1)/N and 3Ψ(N−1)/N.
     */
    public static long bytesSentPerStep(Stage stage, Map<String, long[]> shapes, int ranks, int bytesPerElement) {
        int passes = stage == Stage.ZERO3 ? 3 : 2;
        return passes * (ranks - 1L) * shardElements(shapes, ranks) * bytesPerElement;
    }

    /** ZeRO-3's units: the parameters each wrapped module gathers at once ("blocks.0", "head", …), by name. */
    public static Map<String, Long> unitElements(Map<String, long[]> shapes) {
        Map<String, Long> units = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) units.merge(unitOf(e.getKey()), elements(e.getValue()), Long::sum);
        return units;
    }

    /** The unit of a parameter name: "blocks.3.attn.qkv.weight" → "blocks.3", "head.weight" → "head". */
    static String unitOf(String parameterName) {
        String[] parts = parameterName.split("\\.");
        return parts[0].equals("blocks") ? parts[0] + "." + parts[1] : parts[0];
    }

    /**
     * The highest bytes one rank holds per kept category in a step of float32 AdamW training (the
     * meter's {@code maxByCategory}), Ψ the parameter count and S the shard elements:
     * <ul>
     *   <li>parameters: 4Ψ; ZeRO-3 4S plus the largest unit, gathered while it runs;</li>
     *   <li>gradients: 4Ψ; ZeRO-2/3 4S plus the largest single gradient, between its accumulation and
     *       its reduce-scatter (every parameter of a GPT gets its gradient in one piece);</li>
     *   <li>optimizer state: 8Ψ; ZeRO 8S.</li>
     * </ul>
     */
    public static Map<Category, Long> predictedMaxBytes(Stage stage, GptConfig config, int ranks) {
        Map<String, long[]> shapes = config.parameterShapes();
        long psi = config.parameterCount();
        long s = shardElements(shapes, ranks);
        long largestUnit = unitElements(shapes).values().stream().mapToLong(Long::longValue).max().orElse(0);
        long largestParameter = shapes.values().stream().mapToLong(Zero::elements).max().orElse(0);
        Map<Category, Long> out = new LinkedHashMap<>();
        out.put(Category.PARAMETER, 4 * (stage.partitionsParameters() ? s + largestUnit : psi));
        out.put(Category.GRADIENT, 4 * (stage.partitionsGradients() ? s + largestParameter : psi));
        out.put(Category.OPTIMIZER_STATE, 8 * (stage.partitionsOptimizerState() ? s : psi));
        return out;
    }

    static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    // ---------------------------------------------------------------- one rank

    /** One rank's replica: its model, its shards, its optimizer. Runs on the rank's own thread. */
    public static final class Replica implements AutoCloseable {
        private final Stage stage;
        private final Collective comm;
        private final AdamSettings adam;
        private final Gpt model;
        private final Map<String, Tensor> parameters;      // the model's, by name, in order
        private final List<Shard> shards = new ArrayList<>();
        private final AdamW ddpOptimizer;                   // DDP: every rank updates everything
        private final Collective.Traffic afterSetup;
        private long steps;

        /**
         * Builds the model in host memory (a meter of its own, not the device), gives every rank
         * rank 0's weights (a broadcast, as DDP's constructor does), then moves to the device what
         * the stage keeps there: every parameter, or for ZeRO-3 only this rank's chunk of each.
         */
        public Replica(Stage stage, GptConfig config, Collective comm, AdamSettings adam) {
            this.stage = stage;
            this.comm = comm;
            this.adam = adam;
            Gpt built;
            try (MemoryMeter host = MemoryMeter.start(MemoryMeter.current().name() + " (host)", false)) {
                built = new Gpt(config);
            }
            this.model = built;
            this.parameters = model.namedParameters();
            try {
                for (Tensor p : parameters.values()) comm.broadcast(p.array(), 0);
                for (Map.Entry<String, Tensor> e : parameters.entrySet()) toDevice(e.getKey(), e.getValue());
                if (stage.partitionsParameters()) wrapUnits();
                if (stage.partitionsGradients()) {
                    for (Shard sh : shards) sh.param.registerPostAccumulateGradHook(p -> reduceAndFree(sh));
                }
                this.ddpOptimizer = stage == Stage.DDP ? new AdamW(model.parameters(), adam) : null;
            } catch (RuntimeException e) {
                close();
                throw e;
            }
            this.afterSetup = comm.traffic();
        }

        /** This rank's part of one parameter. */
        private final class Shard {
            final String name;
            final Tensor param;            // the model's parameter (ZeRO-3: memory only while gathered)
            final long offset;             // chunk r starts here in the flattened parameter
            final long length;             // its elements (≤ s; the rest of the shard is padding)
            final Tensor values;           // ZeRO-3: this rank's chunk of the parameter (s, PARAMETER)
            final Tensor grad;             // ZeRO-2/3: its chunk of the averaged gradient (s, GRADIENT)
            final Tensor m;                // AdamW's moments of the chunk (s each, OPTIMIZER_STATE)
            final Tensor v;

            Shard(String name, Tensor param) {
                this.name = name;
                this.param = param;
                long n = param.length();
                long s = Collective.chunk(n, comm.size());
                this.offset = comm.rank() * s;
                this.length = Math.min(s, n - offset);
                if (length <= 0) {
                    throw new IllegalArgumentException("parameter '" + name + "' of " + n + " elements has no chunk for "
                            + "rank " + comm.rank() + " of " + comm.size() + ": use fewer ranks than ⌈n/s⌉");
                }
                this.values = stage.partitionsParameters() ? zeros(s, Category.PARAMETER, name + " shard") : null;
                this.grad = stage.partitionsGradients() ? zeros(s, Category.GRADIENT, name + " grad shard") : null;
                this.m = zeros(s, Category.OPTIMIZER_STATE, name + " exp_avg shard");
                this.v = zeros(s, Category.OPTIMIZER_STATE, name + " exp_avg_sq shard");
            }

            /** The chunk's first {@code length} elements of a shard-sized tensor. */
            INDArray head(Tensor t) {
                return t.array().get(NDArrayIndex.interval(0, length));
            }

            /** Chunk r of a whole (parameter-shaped) array. */
            INDArray chunkOf(INDArray whole) {
                return whole.reshape('c', new long[] {whole.length()}).get(NDArrayIndex.interval(offset, offset + length));
            }
        }

        private Tensor zeros(long elements, Category category, String label) {
            return Tensor.of(Memory.zeros(DataType.FLOAT, new long[] {elements}, category, label));
        }

        private void toDevice(String name, Tensor p) {
            if (p.dtype() != DataType.FLOAT) {
                throw new IllegalArgumentException("this chapter's ZeRO trains float32 parameters; '" + name + "' is "
                        + p.dtype());
            }
            Shard shard = stage.partitionsOptimizerState() ? new Shard(name, p) : null;
            if (shard != null) shards.add(shard);
            Storage device = null;
            if (stage.partitionsParameters()) {
                Kernels.assign(shard.head(shard.values), shard.chunkOf(p.array()));   // only my chunk goes to the device
            } else {
                device = Memory.allocate(p.dtype(), p.shape(), Category.PARAMETER, name);
                Kernels.assign(device.array(), p.array());
            }
            p.releaseStorage();                                   // the host copy
            if (device != null) p.attachStorage(device);
        }

        // ------------------------------------------------------------ ZeRO-3: gather a unit, use it, free it

        /** Wraps every module of the GPT that has parameters, so it gathers them just before it runs. */
        private void wrapUnits() {
            Map<String, List<Shard>> byUnit = new LinkedHashMap<>();
            for (Shard sh : shards) byUnit.computeIfAbsent(unitOf(sh.name), k -> new ArrayList<>()).add(sh);
            for (Map.Entry<String, List<Shard>> e : byUnit.entrySet()) {
                Layer inner = model.children().get(e.getKey());
                model.replaceChild(e.getKey(), new Unit(inner, e.getValue()));
            }
        }

        /**
         * A module whose parameters live as shards: forward all-gathers them, runs, and frees them;
         * backward gathers them again just before the module's backward (a hook on its output), and
         * each is freed again once its gradient has been reduce-scattered. The unit shows the inner
         * module's parameters and parts under their own names, so the model's names do not change.
         */
        private final class Unit extends Layer {
            private final Layer inner;
            private final List<Shard> members;

            Unit(Layer inner, List<Shard> members) {
                this.inner = inner;
                this.members = members;
                Map<String, Layer> parts = inner.children();
                for (Map.Entry<String, Layer> c : parts.entrySet()) child(c.getKey(), c.getValue());
                for (Map.Entry<String, Tensor> p : inner.namedParameters().entrySet()) {
                    if (!p.getKey().contains(".")) parameter(p.getKey(), p.getValue());
                }
            }

            @Override
            public Tensor forward(Tensor x) {
                Tensor out;
                try {
                    gather();
                    out = inner.forward(x);
                } finally {
                    for (Shard sh : members) sh.param.releaseStorage();      // a no-op for one never gathered
                }
                Tensor hooked = Hooks.beforeBackward(out, this::gather);
                out.release();
                return hooked;
            }

            private void gather() {
                for (Shard sh : members) {
                    Storage full = Memory.allocate(DataType.FLOAT, sh.param.shape(), Category.PARAMETER,
                            sh.name + " (gathered)");
                    try {
                        comm.allGather(sh.values.array(), full.array());
                    } catch (RuntimeException e) {
                        full.free();
                        throw e;
                    }
                    sh.param.attachStorage(full);
                }
            }
        }

        // ------------------------------------------------------------ ZeRO-2/3: reduce each gradient as soon as it is complete

        /** Called by autograd right after the last gradient of {@code sh}'s parameter is accumulated. */
        private void reduceAndFree(Shard sh) {
            comm.reduceScatter(sh.param.grad().array(), sh.grad.array());   // my chunk of the sum
            Kernels.scale(sh.grad.array(), 1.0 / comm.size(), sh.grad.array());   // the mean over ranks
            sh.param.zeroGrad(true);                                         // the full gradient: freed now
            if (stage.partitionsParameters()) sh.param.releaseStorage();    // and the gathered parameter
        }

        // ------------------------------------------------------------ the step

        /** One training step on this rank's rows of the global batch; returns this rank's loss. */
        public double step(Examples local) {
            return Training.step(model, update, () -> {
                Batch batch = local.toBatch();                  // made in the step's scope: freed with it
                return model.loss(batch.inputs(), batch.targets());
            });         // ZeRO-2/3: within backward, each gradient is reduce-scattered and freed
        }

        /** After backward: reduce what backward left whole, update this rank's part, gather the parameters. */
        private final Update update = new Update() {
            @Override
            public void apply() {
                MemoryMeter meter = MemoryMeter.current();
                meter.mark("reduce");
                int n = comm.size();
                if (stage == Stage.DDP) {
                    for (Tensor p : parameters.values()) {
                        comm.allReduce(p.grad().array());
                        Kernels.scale(p.grad().array(), 1.0 / n, p.grad().array());
                    }
                } else if (stage == Stage.ZERO1) {
                    for (Shard sh : shards) {
                        INDArray mine = sh.chunkOf(sh.param.grad().array());
                        comm.reduceScatter(sh.param.grad().array(), mine);       // in place: my chunk of the sum
                        Kernels.scale(mine, 1.0 / n, mine);
                    }
                }
                meter.mark("optimizer");
                if (stage == Stage.DDP) {
                    ddpOptimizer.step();
                    return;
                }
                shardedAdamW();
                if (!stage.partitionsParameters()) {
                    meter.mark("all-gather");
                    for (Shard sh : shards) {
                        comm.allGather(sh.chunkOf(sh.param.array()), sh.param.array());  // in place
                        sh.param.storage().bumpVersion();
                    }
                }
            }

            @Override
            public void clearGradients() {
                for (Tensor p : parameters.values()) p.zeroGrad(true);
            }
        };

        /** AdamW on this rank's chunks only: the same kernels as {@link AdamW}, on 1/N of the elements. */
        private void shardedAdamW() {
            long largest = 0;
            for (Shard sh : shards) largest = Math.max(largest, sh.length);
            Storage scratch = Memory.allocate(DataType.FLOAT, new long[] {largest}, Category.TEMPORARY,
                    "ZeRO AdamW workspace");
            try {
                steps++;
                for (Shard sh : shards) {
                    INDArray p = stage.partitionsParameters() ? sh.head(sh.values) : sh.chunkOf(sh.param.array());
                    INDArray g = stage.partitionsGradients() ? sh.head(sh.grad) : sh.chunkOf(sh.param.grad().array());
                    AdamW.apply(p, g, sh.head(sh.m), sh.head(sh.v),
                            scratch.array().get(NDArrayIndex.interval(0, sh.length)), adam, steps);
                }
            } finally {
                scratch.free();
            }
        }

        /** What this rank has sent and received since it was set up. */
        public Collective.Traffic traffic() {
            return comm.traffic().since(afterSetup);
        }

        /** The model's parameter values by name (a collective under ZeRO-3: every rank must call it). */
        public Map<String, float[]> parameterValues() {
            Map<String, float[]> out = new LinkedHashMap<>();
            if (!stage.partitionsParameters()) {
                for (Map.Entry<String, Tensor> e : parameters.entrySet()) out.put(e.getKey(), e.getValue().toFloatArray());
                return out;
            }
            for (Shard sh : shards) {
                Storage full = Memory.allocate(DataType.FLOAT, sh.param.shape(), Category.TEMPORARY, sh.name);
                try {
                    comm.allGather(sh.values.array(), full.array());
                    float[] values = new float[(int) sh.param.length()];
                    INDArray flat = full.array().reshape('c', new long[] {values.length});
                    for (int i = 0; i < values.length; i++) values[i] = flat.getFloat((long) i);
                    out.put(sh.name, values);
                } finally {
                    full.free();
                }
            }
            return out;
        }

        public Gpt model() {
            return model;
        }

        public Stage stage() {
            return stage;
        }

        /** Frees the model (whatever of it is on the device), the shards and the optimizer state. */
        @Override
        public void close() {
            if (ddpOptimizer != null) ddpOptimizer.close();
            for (Shard sh : shards) {
                for (Tensor t : new Tensor[] {sh.values, sh.grad, sh.m, sh.v}) {
                    if (t != null && t.hasStorage()) t.storage().free();
                }
            }
            model.close();
        }
    }
}
