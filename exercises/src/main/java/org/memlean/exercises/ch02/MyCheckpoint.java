package org.memlean.exercises.ch02;

import org.memlean.nn.Layer;
import org.memlean.tensor.AutogradFunction;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;

/**
 * Chapter 2 exercises: your own activation checkpoint. Forward is written for you: it runs the
 * module without saving anything and records {@link Recompute}, which saves only the input.
 */
public final class MyCheckpoint extends Layer {
    private final Layer module;

    public MyCheckpoint(Layer module) {
        this.module = child("module", module);
    }

    @Override
    public Tensor forward(Tensor x) {
        long randomState = Rng.state();
        Tensor out;
        try (GradMode.Guard off = GradMode.noGrad()) {
            out = module.forward(x);
        }
        Recompute.record(module, randomState, out, x);
        return out;
    }

    /** The AutogradFunction standing for the whole module in the graph. */
    static final class Recompute extends AutogradFunction {
        final Layer module;
        final long randomState;

        Recompute(Layer module, long randomState) {
            this.module = module;
            this.randomState = randomState;
        }

        /** out is the module's result; only x is saved. */
        static void record(Layer module, long randomState, Tensor out, Tensor x) {
            Recompute f = new Recompute(module, randomState);
            f.attach(out, x);
            f.save(x);
        }

        /**
         * Task 2.1: return {gradient with respect to the module's input}. Recompute the forward
         * from the saved input (saved(0)) with grad mode on and the random state of forward time, then
         * backpropagate {@code gradOutput} through it; the parameters' gradients then accumulate by
         * themselves.
         * <p>Hints: the saved input is a tensor with no history: how do you make a leaf of it that
         * collects a gradient? Which grad mode does backward run in, and which does the recomputation
         * need? Dropout draws random numbers: which random state must the recomputation see? What does
         * {@code backward(gradient)} on a non-scalar output do? Whatever you allocate must be gone when
         * you return — except the answer, which is a gradient in flight, not a parameter's (its
         * category says so).
         */
        @Override
        protected Tensor[] backward(Tensor gradOutput) {
            throw new UnsupportedOperationException("Task 2.1: the checkpoint's backward — not implemented yet. "
                    + "Hint: recompute, then backpropagate through the recomputation");
        }
    }
}
