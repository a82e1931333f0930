package org.memlean.ch10;

import java.util.SplittableRandom;
import org.memlean.tensor.Tensor;

/**
 * A masked-token task (BERT's objective) the project writes itself: each sequence is n random tokens
 * followed by the same tokens reversed (a palindrome of length T = 2n); about 15 % of the positions
 * are replaced by the mask token 0, never a position and its mirror both, so every masked token can
 * be read off its mirror — by attention in both directions.
 */
final class MaskedPalindromes {
    /** The mask token. */
    public static final int MASK = 0;

    private final int vocab;
    private final int half;
    private final SplittableRandom random;

    public MaskedPalindromes(int vocab, int length, long seed) {
        if (vocab < 3 || length < 2 || length % 2 != 0) {
            throw new IllegalArgumentException("masked palindromes need a vocabulary of at least 3 and an even length, got "
                    + vocab + " and " + length);
        }
        this.vocab = vocab;
        this.half = length / 2;
        this.random = new SplittableRandom(seed);
    }

    /** Tokens masked in each sequence: 15 % of T, at least one, at most n (one of each mirror pair). */
    public int maskedPerSequence() {
        return Math.max(1, Math.min(half, Math.round(0.15f * 2 * half)));
    }

    /**
     * A batch: ids (B, T) with masks, masked (B·k) flat indices b·T + t, targets (B·k) the tokens
     * that were there. INPUT memory; release with {@link Batch#close()}.
     */
    public Batch next(int batch) {
        int t = 2 * half;
        int k = maskedPerSequence();
        int[] ids = new int[batch * t];
        int[] masked = new int[batch * k];
        int[] targets = new int[batch * k];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < half; i++) {
                int token = 1 + random.nextInt(vocab - 1);
                ids[b * t + i] = token;
                ids[b * t + t - 1 - i] = token;
            }
            boolean[] pairUsed = new boolean[half];
            for (int j = 0; j < k; j++) {
                int pair;
                do {
                    pair = random.nextInt(half);
                } while (pairUsed[pair]);
                pairUsed[pair] = true;
                int position = random.nextBoolean() ? pair : t - 1 - pair;
                masked[b * k + j] = b * t + position;
                targets[b * k + j] = ids[b * t + position];
                ids[b * t + position] = MASK;
            }
        }
        Tensor idsTensor = Tensor.ofInts(ids, batch, t);
        return new Batch(idsTensor, Tensor.ofInts(masked, batch * k), Tensor.ofInts(targets, batch * k));
    }

    /** ids (B, T), masked positions (M), their tokens (M). */
    public record Batch(Tensor ids, Tensor masked, Tensor targets) implements AutoCloseable {
        @Override
        public void close() {
            ids.release();
            masked.release();
            targets.release();
        }
    }
}
