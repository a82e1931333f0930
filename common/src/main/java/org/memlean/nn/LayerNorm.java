package org.memlean.nn;

import org.memlean.tensor.Init;
import org.memlean.tensor.Normalization;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Layer normalisation over the last axis (…, C) with learned gamma and beta. */
public final class LayerNorm extends Layer {
    private final Tensor gamma; // (C)
    private final Tensor beta;  // (C)
    private final double eps;

    public LayerNorm(long channels, DataType dataType) {
        this.gamma = parameter("gamma", Init.ones(dataType, channels));
        this.beta = parameter("beta", Init.zeros(dataType, channels));
        this.eps = 1e-5;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Normalization.layerNorm(x, gamma, beta, eps);
    }
}
