package org.memlean.exercises.ch06;

import org.memlean.nn.Layer;
import org.memlean.nn.Linear;
import org.memlean.tensor.Init;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Shortcut: A·B formed in forward (in × out) and the base left trainable. */
public final class MyLoraLinear extends Layer {
    private final Tensor a;
    private final Tensor b;
    private final double scale;

    public MyLoraLinear(Linear base, int rank, double alpha) {
        child("base", base);
        a = parameter("loraA", Init.normal(DataType.FLOAT, 0.1, base.weight().size(0), rank));
        b = parameter("loraB", Init.zeros(DataType.FLOAT, rank, base.weight().size(1)));
        scale = alpha / rank;
    }

    public Tensor a() {
        return a;
    }

    public Tensor b() {
        return b;
    }

    @Override
    public Tensor forward(Tensor x) {
        return part("base").forward(x).add(x.matmul(LinearAlgebra.matmul(a, b, false, false).mul(scale)));
    }

    public void merge(boolean into) {}
}
