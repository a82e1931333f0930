package org.memlean.exercises.ch10;

/** Answers of the chapter 10 questions. */
public final class Questions {
    private Questions() {}

    /** Embeddings (30,514 × 128 + norm), the projection 128 → 4096, one block of 12H² + 13H. */
    public static long albertXxlargeWithoutPooler() {
        long e = 128;
        long h = 4096;
        long embeddings = (30_000 + 512 + 2) * e + 2 * e;
        long projection = e * h + h;
        long block = 12 * h * h + 13 * h;
        return embeddings + projection + block;
    }

    /** Every layer still runs, and saves its inputs: the same activations. */
    public static double sharedOverUnsharedActivations() {
        return 1.0;
    }
}
