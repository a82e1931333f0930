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
         * <p>Hints: {@code saved(0).detach().requiresGrad(true)} is a leaf on the same memory;
         * {@code GradMode.enableGrad()}, {@code Rng.restore(randomState)} (and put the current state back
         * afterwards); {@code out.backward(gradOutput)}; the leaf's {@code grad()} is the answer. Run it
         * in a {@code Scope}, and move the answer out of the GRADIENT category
         * ({@code storage().recategorize(Category.TEMPORARY)}) — it is a gradient in flight, not a leaf's.
         */
        @Override
        protected Tensor[] backward(Tensor gradOutput) {
            throw new UnsupportedOperationException("Task 2.1: the checkpoint's backward — not implemented yet. "
                    + "Hint: recompute forward from saved(0) with grad on, then out.backward(gradOutput)");
        }
    }
}
