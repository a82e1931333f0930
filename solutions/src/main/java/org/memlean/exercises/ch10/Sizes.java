package org.memlean.exercises.ch10;

/** Chapter 10 exercises, solved. */
public final class Sizes {
    private Sizes() {}

    public static long factorisedEmbedding(long vocab, long embedding, long hidden) {
        return vocab * embedding + embedding * hidden + hidden;
    }

    public static long embeddingSaving(long vocab, long embedding, long hidden) {
        return vocab * hidden - factorisedEmbedding(vocab, embedding, hidden);
    }

    public static long separableParameters(long in, long out, int kernel) {
        return in * kernel * kernel + in * out;
    }

    /** Both convolutions take a (B, in, H, W) input: the depthwise one the batch, the pointwise one its output. */
    public static long separableActivationBytes(long batch, long in, long height, long width) {
        return 2 * 4 * batch * in * height * width;
    }
}
