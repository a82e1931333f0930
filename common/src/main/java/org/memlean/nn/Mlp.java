package org.memlean.nn;

import org.memlean.tensor.Tensor;

/** (B, T, C) → Linear(C, 4C) → GELU → Linear(4C, C) → dropout → (B, T, C). Parts: fc, gelu, proj, dropout. */
public final class Mlp extends Layer {
    public Mlp(GptConfig config) {
        long c = config.channels();
        child("fc", new Linear(c, 4 * c, true, config.dataType()));
        child("gelu", new Gelu());
        child("proj", new Linear(4 * c, c, true, config.dataType()));
        child("dropout", new Dropout(config.dropout()));
    }

    @Override
    public Tensor forward(Tensor x) {                                  // x: (B, T, C)
        return part("fc").forward(x)                                   // (B, T, 4C), saved by GELU
                .then(part("gelu"))                                    // (B, T, 4C), saved by proj
                .then(part("proj"))                                    // (B, T, C)
                .then(part("dropout"));
    }
}
