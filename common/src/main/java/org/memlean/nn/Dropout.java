package org.memlean.nn;

import org.memlean.tensor.Masks;
import org.memlean.tensor.Tensor;

/** Dropout with probability p in training mode; the identity in evaluation mode. */
public final class Dropout extends Layer {
    private final double p;

    public Dropout(double p) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        this.p = p;
    }

    /** The probability of dropping an element. */
    public double probability() {
        return p;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Masks.dropout(x, p, isTraining());
    }
}
