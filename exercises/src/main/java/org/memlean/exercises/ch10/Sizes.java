package org.memlean.exercises.ch10;

/** Chapter 10 exercises: what ALBERT's embedding and MobileNet's separable convolution cost. */
public final class Sizes {
    private Sizes() {}

    /**
     * Task 10.1a: the parameters of ALBERT's factorised word embedding: a (V, E) table and a
     * projection E → H with a bias.
     */
    public static long factorisedEmbedding(long vocab, long embedding, long hidden) {
        throw new UnsupportedOperationException("Task 10.1: the factorised embedding — not implemented yet. Hint: "
                + "V·E for the table, E·H + H for the projection");
    }

    /** Task 10.1b: the parameters it saves against BERT's (V, H) table (negative if it costs more). */
    public static long embeddingSaving(long vocab, long embedding, long hidden) {
        throw new UnsupportedOperationException("Task 10.1: the saving — not implemented yet. Hint: V·H minus 10.1a");
    }

    /**
     * Task 10.2a: the weights of a depthwise-separable convolution from {@code in} to {@code out}
     * channels with a k×k kernel, no bias: a depthwise k×k convolution (one filter per channel) then a
     * pointwise 1×1 convolution.
     */
    public static long separableParameters(long in, long out, int kernel) {
        throw new UnsupportedOperationException("Task 10.2: separable parameters — not implemented yet. Hint: in·k² + in·out");
    }

    /**
     * Task 10.2b: the activation bytes its forward saves for backward on a FLOAT batch (B, in, H, W),
     * stride 1, padding keeping H and W. Each convolution of this framework saves its input (its
     * weight is a parameter, kept by reference).
     */
    public static long separableActivationBytes(long batch, long in, long height, long width) {
        throw new UnsupportedOperationException("Task 10.2: separable activations — not implemented yet. Hint: what does "
                + "each of the two convolutions take as input?");
    }
}
