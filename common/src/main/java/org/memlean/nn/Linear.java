package org.memlean.nn;

import org.memlean.tensor.Init;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * y = x W + b, x (…, in) → y (…, out). W is stored (in, out) — the transpose of PyTorch's layout,
 * so forward needs no transpose. Saves x for W's gradient.
 */
public final class Linear extends Layer {
    private final Tensor weight;   // (in, out)
    private final Tensor bias;     // (out) or null

    public Linear(long in, long out, boolean bias, DataType dataType) {
        this.weight = parameter("weight", Init.normal(dataType, 0.02, in, out));
        this.bias = bias ? parameter("bias", Init.zeros(dataType, out)) : null;
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    public Tensor forward(Tensor x) {
        return LinearAlgebra.linear(x, weight, bias);   // (…, out)
    }
}
