package org.memlean.nn;

import org.memlean.tensor.Tensor;

/** GELU, tanh form (GPT-2's). Saves its input. */
public final class Gelu extends Layer {
    @Override
    public Tensor forward(Tensor x) {
        return x.gelu();
    }
}
