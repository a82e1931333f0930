package org.memlean.data;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.memlean.tensor.Tensor;

/**
 * Sorting, the course's second synthetic task (for fine-tuning a model pretrained on reversal): the
 * model reads n random digits and a separator, and must then write the digits in ascending order.
 * The same vocabulary and layout as {@link ReversalTask} — only the answer differs:
 *
 * <pre>
 *   inputs  (T = 2n):  a1 … an  S  s1 … s(n−1)
 *   targets (N = n):               s1 … sn        (s = the digits sorted)
 * </pre>
 */
public final class SortTask {
    private final int digits;
    private final SplittableRandom random;

    public SortTask(int digits, long seed) {
        if (digits < 1) throw new IllegalArgumentException("SortTask needs at least one digit, got " + digits);
        this.digits = digits;
        this.random = new SplittableRandom(seed);
    }

    public int sequenceLength() {
        return 2 * digits;
    }

    public Batch next(int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        int t = sequenceLength();
        int[] inputs = new int[batchSize * t];
        int[] targets = new int[batchSize * digits];
        for (int b = 0; b < batchSize; b++) {
            int[] a = new int[digits];
            for (int i = 0; i < digits; i++) a[i] = random.nextInt(10);
            int[] sorted = a.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < digits; i++) inputs[b * t + i] = a[i];
            inputs[b * t + digits] = ReversalTask.SEPARATOR;
            for (int i = 1; i < digits; i++) inputs[b * t + digits + i] = sorted[i - 1];
            for (int i = 0; i < digits; i++) targets[b * digits + i] = sorted[i];
        }
        return new Batch(Tensor.ofInts(inputs, batchSize, t), Tensor.ofInts(targets, batchSize, digits));
    }
}
