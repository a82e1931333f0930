package org.memlean.exercises.ch10;

/** Solutions of the chapter 10 tasks. */
public final class Sizes {
    private Sizes() {}

    public static long factorisedEmbedding(long vocab, long embedding, long hidden) {
        return vocab * embedding + embedding * hidden + hidden;
    }

    public static long embeddingSaving(long vocab, long embedding, long hidden) {
        return vocab * hidden - factorisedEmbedding(vocab, embedding, hidden);
    }

    public record Saved(long parameterBytes, long gradientAndStateBytes, long activationBytes) {}

    /** Task 10.2: L − 1 blocks fewer of parameters (4 bytes), gradients and AdamW's moments (12); activations alike. */
    public static Saved sharingSaves(long vocab, long embedding, long hidden, int layers, int heads, long batch, long time) {
        long block = 12 * hidden * hidden + 13 * hidden;                  // attention 4H² + 4H, FFN 8H² + 5H, two norms 4H
        long fewer = (layers - 1) * block;
        return new Saved(4 * fewer, 12 * fewer, 0);
    }
}
