package org.memlean.exercises.ch05;

import org.memlean.nn.GptConfig;

/** Chapter 5 exercises: Adafactor's factored moment, and the state an optimizer keeps. */
public final class LeanState {
    private LeanState() {}

    /**
     * Task 5.1: Adafactor's estimate of a matrix's second moment from its row and column sums alone:
     * V̂ = R·Cᵀ / ΣR, where R holds the row sums of {@code squared} (r values) and C its column sums
     * (c values). (It is exact when {@code squared} is rank one.) Return V̂, r × c.
     * <p>Hints: two loops for R and C, one for ΣR; V̂[i][j] = R[i]·C[j] / ΣR.
     */
    public static double[][] factoredSecondMoment(double[][] squared) {
        throw new UnsupportedOperationException("Task 5.1: Adafactor's factored estimate — not implemented yet. Hint: "
                + "row sums R, column sums C, then R[i]·C[j] / ΣR");
    }

    /**
     * Task 5.2: the bytes of optimizer state {@code optimizer} keeps for a FLOAT GPT of {@code config}
     * after its first step: "adamw" (two moments), "lion" (one), "adafactor" (row and column sums of
     * each matrix, a full moment for each vector), "adamw8bit" (one byte per element for each moment
     * plus a float32 scale per block of 2048, for matrices of at least 4096 elements; float32 moments
     * otherwise). The grader runs each and reads the meter.
     * <p>Hints: {@code config.parameterShapes()} gives every parameter's shape; sum a formula over them.
     */
    public static long stateBytes(String optimizer, GptConfig config) {
        throw new UnsupportedOperationException("Task 5.2: state bytes per optimizer — not implemented yet. Hint: "
                + "sum over config.parameterShapes() the bytes each optimizer keeps for a tensor of that shape");
    }
}
