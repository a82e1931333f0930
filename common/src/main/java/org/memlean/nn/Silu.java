package org.memlean.nn;

import org.memlean.tensor.Tensor;

/** SiLU (swish), x·sigmoid(x): MobileNet's and MobileViT's activation. Saves its input. */
public final class Silu extends Layer {
    @Override
    public Tensor forward(Tensor x) {
        return x.silu();
    }
}
