package org.memlean.nn;

import org.memlean.tensor.Layers;
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
public final class MultiHeadAttention extends Module {
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
    public Tensor forward(Tensor x) {
        long b = x.size(0);
        long t = x.size(1);
        long c = x.size(2);
        long d = c / heads;
        if (c % heads != 0) {
            throw new IllegalArgumentException("attention over " + c + " channels cannot be split into " + heads
                    + " heads");
        }
        Tensor qkvOut = part("qkv").forward(x);                                       // (B, T, 3C)
        Tensor q = splitHeads(qkvOut.slice(2, 0, c), b, t, d);                // (B, H, T, D)
        Tensor k = splitHeads(qkvOut.slice(2, c, c), b, t, d);                // (B, H, T, D)
        Tensor v = splitHeads(qkvOut.slice(2, 2 * c, c), b, t, d);            // (B, H, T, D)
        qkvOut.release();
        Tensor scores = LinearAlgebra.matmul(q, k, false, true);              // (B, H, T, T)
        q.release();
        k.release();
        Tensor scaled = scores.mul(1.0 / Math.sqrt(d));
        scores.release();
        Tensor masked = causal ? Layers.causalMask(scaled) : scaled;
        if (causal) scaled.release();
        Tensor probabilities = masked.softmax();                             // (B, H, T, T), saved
        masked.release();
        Tensor dropped = part("attentionDropout").forward(probabilities);
        probabilities.release();
        Tensor y = dropped.matmul(v);                                        // (B, H, T, D)
        dropped.release();
        v.release();
        Tensor merged = mergeHeads(y, b, t, c);                               // (B, T, C)
        y.release();
        Tensor projected = part("proj").forward(merged);
        merged.release();
        Tensor out = part("residualDropout").forward(projected);
        projected.release();
        return out;
    }

    /** (B, T, C) → (B, H, T, D); releases its input. */
    private Tensor splitHeads(Tensor part, long b, long t, long d) {
        Tensor split = part.reshape(b, t, heads, d);
        part.release();
        Tensor out = split.permute(0, 2, 1, 3);
        split.release();
        return out;
    }

    /** (B, H, T, D) → (B, T, C). */
    private static Tensor mergeHeads(Tensor y, long b, long t, long c) {
        Tensor permuted = y.permute(0, 2, 1, 3);                             // (B, T, H, D)
        Tensor out = permuted.reshape(b, t, c);
        permuted.release();
        return out;
    }
}
