package org.memlean.nn;

import org.memlean.tensor.Init;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Integer ids (…) → rows of a (V, C) table: (…, C). */
public final class Embedding extends Layer {
    private final Tensor weight; // (V, C)

    public Embedding(long count, long channels, DataType dataType) {
        this.weight = parameter("weight", Init.normal(dataType, 0.02, count, channels));
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    public Tensor forward(Tensor ids) {
        return LinearAlgebra.embedding(weight, ids);
    }
}
