package org.memlean.nn;

import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The pre-norm transformer block of the source article: x = x + attn(norm1(x)); x = x + mlp(norm2(x)).
 * Its parts are looked up by name at every call, so a technique can wrap one without touching the
 * block ({@code block.replaceChild("mlp", Checkpoint.wrap(block.children().get("mlp")))}).
 */
public final class Block extends Module {
    public Block(long channels, int heads, double dropout, DataType dataType) {
        child("norm1", new LayerNorm(channels, dataType));
        child("attn", new MultiHeadAttention(channels, heads, dropout, dataType));
        child("norm2", new LayerNorm(channels, dataType));
        child("mlp", new Mlp(channels, 4 * channels, dropout, dataType));
    }

    @Override
    public Tensor forward(Tensor x) {                       // x: (B, T, C)
        Tensor h = part("norm1").forward(x);
        Tensor a = part("attn").forward(h);
        h.release();
        Tensor x1 = x.add(a);
        a.release();
        Tensor h2 = part("norm2").forward(x1);
        Tensor m = part("mlp").forward(h2);
        h2.release();
        Tensor x2 = x1.add(m);
        m.release();
        x1.release();
        return x2;                                          // (B, T, C)
    }

    private Module part(String name) {
        return children().get(name);
    }
}
