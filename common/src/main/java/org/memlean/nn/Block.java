package org.memlean.nn;

import org.memlean.tensor.Tensor;

/**
 * The pre-norm transformer block of the source article: x = x + attn(norm1(x)); x = x + mlp(norm2(x)).
 * Its parts are looked up by name at every call, so a technique can wrap one without touching the
 * block ({@code block.replaceChild("mlp", Checkpoint.wrap(block.children().get("mlp")))}).
 */
public final class Block extends Module {
    public Block(GptConfig config) {
        child("norm1", new LayerNorm(config.channels(), config.dataType()));
        child("attn", new MultiHeadAttention(config));
        child("norm2", new LayerNorm(config.channels(), config.dataType()));
        child("mlp", new Mlp(config));
    }

    /** A block of given parts — some of them shared with other blocks (ALBERT shares attention or feed-forward). */
    public Block(Module norm1, Module attn, Module norm2, Module mlp) {
        child("norm1", norm1);
        child("attn", attn);
        child("norm2", norm2);
        child("mlp", mlp);
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
}
