package org.memlean.exercises.ch10;

/** Chapter 10 exercises: what ALBERT's factorised embedding and its shared layers save. */
public final class Sizes {
    private Sizes() {}

    /**
     * Task 10.1a: the parameters of ALBERT's factorised word embedding: a (V, E) table and a
     * projection E → H with a bias. Graded against the encoders built at random sizes.
     */
    public static long factorisedEmbedding(long vocab, long embedding, long hidden) {
        throw new UnsupportedOperationException("Task 10.1: the factorised embedding — not implemented yet. Hint: "
                + "the table, and the projection");
    }

    /** Task 10.1b: the parameters it saves against BERT's (V, H) table (negative if it costs more). */
    public static long embeddingSaving(long vocab, long embedding, long hidden) {
        throw new UnsupportedOperationException("Task 10.1: the saving — not implemented yet. Hint: against a (V, H) table");
    }

    /** What ALBERT's sharing saves, in bytes, against the same encoder unshared. */
    public record Saved(long parameterBytes, long gradientAndStateBytes, long activationBytes) {}

    /**
     * Task 10.2: an encoder of {@code layers} pre-norm blocks of width {@code hidden} ({@code heads}
     * heads, a 4H feed-forward), float32, trained with AdamW at batch {@code batch} on sequences of
     * {@code time} tokens — once with every block its own, once with one block shared by all layers
     * (ALBERT). How many bytes does sharing save in parameters, in gradients plus AdamW's state, and in
     * the activations saved at the end of forward? Graded against both encoders, measured, at a
     * configuration drawn at random.
     * <p>Hints: count a block's parameters (chapter 10's notebook lists its parts); how many copies
     * does each encoder keep? What does a shared block do to the inputs each layer saves?
     */
    public static Saved sharingSaves(long vocab, long embedding, long hidden, int layers, int heads, long batch, long time) {
        throw new UnsupportedOperationException("Task 10.2: what sharing saves — not implemented yet. Hint: a block's "
                + "parameters, and how many times each encoder keeps them");
    }
}
