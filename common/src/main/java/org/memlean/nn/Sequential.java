package org.memlean.nn;

import org.memlean.tensor.Tensor;

/**
 * Layers run one after another, each registered under its name: x → first(x) → second(…) → ….
 * Each intermediate is released as soon as the next layer has used it.
 *
 * <pre>{@code
 * Layer mlp = new Sequential().add("fc", new Linear(c, 4 * c, true, FLOAT)).add("act", new Silu())
 *         .add("proj", new Linear(4 * c, c, true, FLOAT));
 * }</pre>
 */
public final class Sequential extends Layer {
    /** Appends {@code layer} under {@code name}; returns this. */
    public Sequential add(String name, Layer layer) {
        child(name, layer);
        return this;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (children().isEmpty()) throw new IllegalStateException("a Sequential with no layers has nothing to run");
        Tensor y = null;
        for (String name : children().keySet()) y = y == null ? part(name).forward(x) : y.then(part(name));
        return y;
    }
}
