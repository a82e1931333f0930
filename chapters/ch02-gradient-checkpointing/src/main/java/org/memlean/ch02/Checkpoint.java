package org.memlean.ch02;

import java.util.ArrayList;
import java.util.List;
import org.memlean.memory.Category;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.Layer;
import org.memlean.tensor.AutogradFunction;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;

/**
 * Activation checkpointing（梯度检查点）: trade compute for memory. A wrapped module runs its forward
 * with saving off — only its input is kept — and in backward runs the forward again, saving this
 * time, and backpropagates through that recomputation. Its activations exist twice as briefly:
 * only while its own backward runs.
 *
 * <pre>{@code
 * Layer cheap = Checkpoint.wrap(block);                 // one module
 * Checkpoint.wrapParts(block);                           // the article's form: attention and MLP apart
 * Checkpoint.segments(gpt, Checkpoint.sqrt(L));          // Chen et al. 2016: √L segments of √L blocks
 * }</pre>
 *
 * <p>The wrapper holds the module as a child named "module", so the parameters of a wrapped part
 * are named "attn.module.qkv.weight": load parameter files before wrapping. fairscale's
 * {@code checkpoint_wrapper} patches {@code forward} and keeps the names; PyTorch's
 * {@code CheckpointWrapper} has such a child and strips its prefix in {@code state_dict}; nothing
 * here strips it.
 */
public final class Checkpoint extends Layer {
    /**
     * Where the wrapper reads and puts back the random state: the framework's generator. (Package
     * private so a test can pass one that forgets to put it back, and show that the equivalence
     * test then fails.)
     */
    interface RandomState {
        long read();

        void restore(long state);

        RandomState FRAMEWORK = new RandomState() {
            @Override
            public long read() {
                return Rng.state();
            }

            @Override
            public void restore(long state) {
                Rng.restore(state);
            }
        };
    }

    private final RandomState random;

    private Checkpoint(Layer module, RandomState random) {
        child("module", module);
        this.random = random;
    }

    /** The module, run without saving in forward and recomputed in backward. */
    public static Checkpoint wrap(Layer module) {
        return wrap(module, RandomState.FRAMEWORK);
    }

    static Checkpoint wrap(Layer module, RandomState random) {
        if (module instanceof Checkpoint c) return c;
        return new Checkpoint(module, random);
    }

    /** The article's Block form: its attention and its MLP checkpointed separately. */
    public static void wrapParts(Layer block) {
        for (String part : List.of("attn", "mlp")) {
            Layer m = block.children().get(part);
            if (m == null) {
                throw new IllegalArgumentException("wrapParts needs a module with 'attn' and 'mlp' children, got "
                        + block.getClass().getSimpleName() + " with " + block.children().keySet());
            }
            block.replaceChild(part, wrap(m));
        }
    }

    /** ⌈√L⌉: the segment length that balances stored inputs against one segment's recomputation. */
    public static int sqrt(int layers) {
        return (int) Math.ceil(Math.sqrt(layers));
    }

    /**
     * Groups the model's blocks into segments of {@code length} consecutive blocks and checkpoints
     * each segment: forward keeps only the L/length segment inputs, backward recomputes one segment
     * at a time. {@code length} = 1 checkpoints every block.
     */
    public static void segments(Gpt model, int length) {
        segments(model, length, RandomState.FRAMEWORK);
    }

    static void segments(Gpt model, int length, RandomState random) {
        List<Layer> blocks = model.blocks();
        if (length < 1 || length > blocks.size()) {
            throw new IllegalArgumentException("segment length must be in 1.." + blocks.size() + ", got " + length);
        }
        List<Layer> stages = new ArrayList<>();
        for (int start = 0; start < blocks.size(); start += length) {
            stages.add(wrap(new Sequence(blocks.subList(start, Math.min(start + length, blocks.size()))), random));
        }
        model.setStages(stages);
    }

    @Override
    public Tensor forward(Tensor x) {
        Layer module = part("module");
        boolean trainable = !module.parameters().isEmpty();
        if (!GradMode.isEnabled() || !(x.requiresGrad() || trainable)) return module.forward(x);
        long randomState = random.read();                // dropout must draw the same masks again
        Tensor out;
        try (GradMode.Guard off = GradMode.noGrad()) {
            out = module.forward(x);                     // nothing inside is saved
        }
        Recompute.record(module, random, randomState, out, x);
        return out;
    }

    /** The AutogradFunction that stands for the whole wrapped module in the graph. */
    static final class Recompute extends AutogradFunction {
        private final Layer module;
        private final RandomState random;
        private final long randomState;

        Recompute(Layer module, RandomState random, long randomState) {
            this.module = module;
            this.random = random;
            this.randomState = randomState;
        }

        /** Makes {@code out} the result of the whole module, saving its input x only. */
        static void record(Layer module, RandomState random, long randomState, Tensor out, Tensor x) {
            Recompute function = new Recompute(module, random, randomState);
            function.attach(out, x);
            function.save(x);
        }

        @Override
        public String name() {
            return "Checkpoint(" + module.getClass().getSimpleName() + ")";
        }

        @Override
        protected Tensor[] backward(Tensor gradOutput) {
            Tensor x = saved(0);
            long now = random.read();
            random.restore(randomState);
            MemoryMeter.current().mark("recompute");
            Tensor gradInput = null;
            try (Scope recompute = Scope.open(); GradMode.Guard on = GradMode.enableGrad()) {
                Tensor input = x.detach().requiresGrad(inputs()[0].requiresGrad());   // a leaf on x's memory
                Tensor out = module.forward(input);       // this time the activations are saved
                out.backward(gradOutput);                 // parameter gradients accumulate as usual
                if (input.grad() != null) {
                    gradInput = input.grad();
                    gradInput.storage().recategorize(Category.TEMPORARY);   // a gradient in flight, not a leaf's
                }
                out.release();
                input.release();
            } finally {
                random.restore(now);
            }
            return new Tensor[] {gradInput};
        }
    }

    /** Blocks applied one after another (a checkpoint segment); registers them, so it has their parameters. */
    static final class Sequence extends Layer {
        private final int size;

        Sequence(List<Layer> parts) {
            this.size = parts.size();
            for (int i = 0; i < parts.size(); i++) child(Integer.toString(i), parts.get(i));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = x;
            for (int i = 0; i < size; i++) {
                Tensor next = part(Integer.toString(i)).forward(h);
                if (h != x) h.release();
                h = next;
            }
            return h;
        }
    }
}
