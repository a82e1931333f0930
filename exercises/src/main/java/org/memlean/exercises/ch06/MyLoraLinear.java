package org.memlean.exercises.ch06;

import org.memlean.nn.Layer;
import org.memlean.nn.Linear;
import org.memlean.tensor.Tensor;

/**
 * Task 6.1: a LoRA layer over a frozen linear layer: y = x·W + b + (α/r)·(x·A)·B, with A (in × r) and B
 * (r × out) the only trainable parameters — registered as "loraA" and "loraB", A drawn small and
 * random, B zero (so the layer starts as its base) — and {@link #merge} folding (α/r)·A·B into W for
 * inference, and out again.
 * <p>Graded: outputs and gradients against a reference; the meter's counts after a backward — no
 * gradient for W or b, 4·r·(in + out) bytes of gradients; and what the layer keeps for backward: the
 * inputs its products need, and nothing for W's gradient, which is never computed.
 * <p>Hints: how does the framework know not to compute W's gradient (and not to keep x for it)? In
 * which order do you multiply x, A and B so that nothing of in × out size is made in forward? What
 * must {@code merge(false)} undo exactly?
 */
public final class MyLoraLinear extends Layer {
    /** LoRA of rank {@code rank} and scale α / r over {@code base}, which it freezes. */
    public MyLoraLinear(Linear base, int rank, double alpha) {
        throw new UnsupportedOperationException("Task 6.1: the LoRA layer — not implemented yet. Hint: freeze the base, "
                + "add A and B");
    }

    /** A, (in × r). */
    public Tensor a() {
        throw new UnsupportedOperationException("Task 6.1: not implemented yet");
    }

    /** B, (r × out). */
    public Tensor b() {
        throw new UnsupportedOperationException("Task 6.1: not implemented yet");
    }

    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("Task 6.1: LoRA's forward — not implemented yet");
    }

    /** {@code true}: W ← W + (α/r)·A·B (forward then runs the base alone); {@code false}: undo it. */
    public void merge(boolean into) {
        throw new UnsupportedOperationException("Task 6.1: merge — not implemented yet");
    }
}
