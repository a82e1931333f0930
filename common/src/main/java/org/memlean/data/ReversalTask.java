package org.memlean.data;

import java.util.SplittableRandom;

/**
 * Sequence reversal, the course's synthetic task: the model reads n random digits and a separator,
 * and must then write the digits in reverse order. With digits a1..an and separator S (id 10):
 *
 * <pre>
 *   inputs  (T = 2n):  a1 a2 … an  S  an … a2
 *   targets (N = n):                an … a2 a1     (predicted at positions n … 2n−1)
 * </pre>
 *
 * The loss covers only the answer positions, which a causal model can predict exactly; a model
 * that has learned nothing scores ln 10 ≈ 2.30. Batches are deterministic from the seed.
 */
public final class ReversalTask {
    /** Ten digits and the separator. */
    public static final int VOCAB = 11;
    public static final int SEPARATOR = 10;

    private final int digits;
    private final SplittableRandom random;

    public ReversalTask(int digits, long seed) {
        if (digits < 1) throw new IllegalArgumentException("ReversalTask needs at least one digit, got " + digits);
        this.digits = digits;
        this.random = new SplittableRandom(seed);
    }

    /** Sequence length T = 2n the model sees. */
    public int sequenceLength() {
        return 2 * digits;
    }

    public int digits() {
        return digits;
    }

    /** The next batch of {@code batchSize} examples, on the calling thread's device. */
    public Batch next(int batchSize) {
        return nextExamples(batchSize).toBatch();
    }

    /** The next batch of {@code batchSize} examples, in Java memory (to split among ranks). */
    public Examples nextExamples(int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        int t = sequenceLength();
        int[] inputs = new int[batchSize * t];
        int[] targets = new int[batchSize * digits];
        for (int b = 0; b < batchSize; b++) {
            int[] a = new int[digits];
            for (int i = 0; i < digits; i++) a[i] = random.nextInt(10);
            for (int i = 0; i < digits; i++) inputs[b * t + i] = a[i];
            inputs[b * t + digits] = SEPARATOR;
            for (int i = 1; i < digits; i++) inputs[b * t + digits + i] = a[digits - i];
            for (int i = 0; i < digits; i++) targets[b * digits + i] = a[digits - 1 - i];
        }
        return new Examples(inputs, targets, batchSize, t, digits);
    }

}
