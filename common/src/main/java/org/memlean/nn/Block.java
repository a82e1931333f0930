package org.memlean.nn;

import org.memlean.tensor.Tensor;

/**
 * The pre-norm transformer block of the source article: x = x + attn(norm1(x)); x = x + mlp(norm2(x)).
 * Its parts are looked up by name at every call, so a technique can wrap one without touching the
 * block ({@code block.replaceChild("mlp", Checkpoint.wrap(block.children().get("mlp")))}).
 */
public final class Block extends Layer {
    public Block(GptConfig config) {
        child("norm1", new LayerNorm(config.channels(), config.dataType()));
        child("attn", new MultiHeadAttention(config));
        child("norm2", new LayerNorm(config.channels(), config.dataType()));
        child("mlp", new Mlp(config));
    }

    /** A block of given parts — some of them shared with other blocks (ALBERT shares attention or feed-forward). */
    public Block(Layer norm1, Layer attn, Layer norm2, Layer mlp) {
        child("norm1", norm1);
        child("attn", attn);
        child("norm2", norm2);
        child("mlp", mlp);
    }

    @Override
    public Tensor forward(Tensor x) {                                                   // x: (B, T, C)
        return part("norm1").forward(x).then(part("attn")).then(x::add)                 // x + attn(norm1(x))
                .then(h -> part("norm2").forward(h).then(part("mlp")).then(h::add));    // h + mlp(norm2(h))
    }
}
