package org.memlean.exercises.ch06;

import java.util.Set;
import org.memlean.nn.GptConfig;

/** Chapter 6 exercises: LoRA's forward and merge, and what it trains. */
public final class LowRank {
    private LowRank() {}

    /**
     * Task 6.1a: a LoRA layer's output for rows {@code x} (n × in): x·W + scale·(x·A)·B, with W
     * (in × out), A (in × r), B (r × out).
     * <p>Hint: compute x·A first (n × r): two thin products instead of one big one.
     */
    public static double[][] forward(double[][] x, double[][] w, double[][] a, double[][] b, double scale) {
        throw new UnsupportedOperationException("Task 6.1: LoRA's forward — not implemented yet. Hint: x·W, plus "
                + "scale times (x·A)·B");
    }

    /**
     * Task 6.1b: the merged weight W + scale·A·B (in × out), which gives the same outputs with one
     * product (and no extra cost at inference).
     */
    public static double[][] merge(double[][] w, double[][] a, double[][] b, double scale) {
        throw new UnsupportedOperationException("Task 6.1: LoRA's merge — not implemented yet. Hint: W + scale·(A·B)");
    }

    /**
     * Task 6.2: the trainable parameters LoRA of rank {@code rank} adds to the course's GPT of
     * {@code config} when it adapts {@code targets} — any of "q", "k", "v", "o" (the attention's
     * output projection), "up", "down" (the MLP's projections) — in every block.
     * <p>Hints: a projection from in to out features gets A (in × r) and B (r × out); q, k, v and o are
     * C → C; up is C → 4C; down is 4C → C. The grader applies LoRA and counts.
     */
    public static long trainableParameters(GptConfig config, Set<String> targets, int rank) {
        throw new UnsupportedOperationException("Task 6.2: LoRA's trainable parameters — not implemented yet. Hint: "
                + "r·(in + out) per adapted projection, per block");
    }
}
