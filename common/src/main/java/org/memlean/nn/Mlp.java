package org.memlean.nn;

import org.memlean.tensor.Tensor;

/** (B, T, C) → Linear(C, 4C) → GELU → Linear(4C, C) → dropout → (B, T, C). Parts: fc, gelu, proj, dropout. */
public final class Mlp extends Module {
    public Mlp(GptConfig config) {
        long c = config.channels();
        child("fc", new Linear(c, 4 * c, true, config.dataType()));
        child("gelu", new Gelu());
        child("proj", new Linear(4 * c, c, true, config.dataType()));
        child("dropout", new Dropout(config.dropout()));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = part("fc").forward(x);          // (B, T, 4C), saved by GELU
        Tensor a = part("gelu").forward(h);        // (B, T, 4C), saved by proj
        h.release();
        Tensor y = part("proj").forward(a);        // (B, T, C)
        a.release();
        Tensor out = part("dropout").forward(y);
        y.release();
        return out;
    }
}
