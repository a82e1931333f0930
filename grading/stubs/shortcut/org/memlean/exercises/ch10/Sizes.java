package org.memlean.exercises.ch10;

/** Shortcuts: the table alone; "sharing saves activations too". */
public final class Sizes {
    private Sizes() {}

    public static long factorisedEmbedding(long vocab, long embedding, long hidden) {
        return vocab * embedding;
    }

    public static long embeddingSaving(long vocab, long embedding, long hidden) {
        return vocab * (hidden - embedding);
    }

    public record Saved(long parameterBytes, long gradientAndStateBytes, long activationBytes) {}

    public static Saved sharingSaves(long vocab, long embedding, long hidden, int layers, int heads, long batch, long time) {
        long fewer = (layers - 1) * (12 * hidden * hidden + 13 * hidden);
        return new Saved(4 * fewer, 12 * fewer, 4 * (layers - 1) * 16 * batch * time * hidden);
    }
}
