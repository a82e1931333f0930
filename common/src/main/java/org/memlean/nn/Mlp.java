package org.memlean.nn;

import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** (B, T, C) → Linear(C, 4C) → GELU → Linear(4C, C) → dropout → (B, T, C). */
public final class Mlp extends Module {
    private final Linear fc;
    private final Gelu gelu;
    private final Linear proj;
    private final Dropout dropout;

    public Mlp(long channels, long hidden, double dropout, DataType dataType) {
        this.fc = child("fc", new Linear(channels, hidden, true, dataType));
        this.gelu = child("gelu", new Gelu());
        this.proj = child("proj", new Linear(hidden, channels, true, dataType));
        this.dropout = child("dropout", new Dropout(dropout));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = fc.forward(x);          // (B, T, 4C), saved by GELU
        Tensor a = gelu.forward(h);        // (B, T, 4C), saved by proj
        h.release();
        Tensor y = proj.forward(a);        // (B, T, C)
        a.release();
        Tensor out = dropout.forward(y);
        y.release();
        return out;
    }
}
