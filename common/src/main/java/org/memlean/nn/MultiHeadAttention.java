package org.memlean.nn;

import org.memlean.tensor.Masks;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Multi-head self-attention, (B, T, C) → (B, T, C), H heads of size D = C / H; causal (each position
 * sees itself and the past: a GPT) or not (every position sees every other: a BERT-style encoder).
 * Parts: qkv, proj, attentionDropout, residualDropout.
 *
 * <p>What it saves per call, the activation memory of attention: x for the qkv projection
 * (BTC), q, k, v (3·BTC, saved by the two matmuls), the softmax output (B·H·T·T, saved by softmax
 * and by the matmul with v), the dropout mask on it (B·H·T·T, if dropout is on) and the merged
 * heads for the output projection (BTC). The T² terms are why long sequences are expensive.
 */
public final class MultiHeadAttention extends Layer {
    private final int heads;
    private final boolean causal;

    public MultiHeadAttention(GptConfig config) {
        long channels = config.channels();
        this.heads = config.heads();
        this.causal = config.causal();
        DataType dataType = config.dataType();
        child("qkv", new Linear(channels, 3 * channels, true, dataType));
        child("proj", new Linear(channels, channels, true, dataType));
        child("attentionDropout", new Dropout(config.dropout()));
        child("residualDropout", new Dropout(config.dropout()));
    }

    /** The number of heads H. */
    public int heads() {
        return heads;
    }

    /** Whether each position attends only to itself and earlier ones. */
    public boolean isCausal() {
        return causal;
    }

    @Override
    public Tensor forward(Tensor x) {                                                  // x: (B, T, C)
        long c = x.size(2);
        if (c % heads != 0) {
            throw new IllegalArgumentException("attention over " + c + " channels cannot be split into " + heads
                    + " heads");
        }
        double scale = 1 / Math.sqrt(c / heads);                                       // 1/√D
        Heads qkv = part("qkv").forward(x).then(this::splitHeads);                     // q, k, v: (B, H, T, D)
        return qkv.q().then(q -> qkv.k().then(k -> LinearAlgebra.matmul(q, k, false, true)))   // q·kᵀ (B, H, T, T)
                .then(scores -> scores.mul(scale))
                .then(scaled -> causal ? Masks.causalMask(scaled) : scaled)
                .then(Tensor::softmax)                                                 // (B, H, T, T), saved
                .then(part("attentionDropout"))
                .then(probabilities -> qkv.v().then(probabilities::matmul))            // (B, H, T, D)
                .then(this::mergeHeads)                                                // (B, T, C)
                .then(part("proj"))
                .then(part("residualDropout"));
    }

    /** Queries, keys and values, each (B, H, T, D): views of one (B, T, 3C) buffer. */
    private record Heads(Tensor q, Tensor k, Tensor v) {}

    /** (B, T, 3C) → q, k, v, each (B, H, T, D). */
    private Heads splitHeads(Tensor qkv) {
        long c = qkv.size(2) / 3;
        return new Heads(splitHeads(qkv, 0, c), splitHeads(qkv, c, c), splitHeads(qkv, 2 * c, c));
    }

    /** Channels [start, start + C) of (B, T, 3C) as (B, H, T, D). */
    private Tensor splitHeads(Tensor qkv, long start, long c) {
        return qkv.slice(2, start, c)
                .then(part -> part.reshape(qkv.size(0), qkv.size(1), heads, c / heads))   // (B, T, H, D)
                .then(split -> split.permute(0, 2, 1, 3));                               // (B, H, T, D)
    }

    /** (B, H, T, D) → (B, T, C). */
    private Tensor mergeHeads(Tensor y) {
        long b = y.size(0), t = y.size(2);
        return y.permute(0, 2, 1, 3)                                                   // (B, T, H, D)
                .then(permuted -> permuted.reshape(b, t, heads * y.size(3)));
    }
}
