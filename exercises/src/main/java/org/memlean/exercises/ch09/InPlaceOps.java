package org.memlean.exercises.ch09;

import org.memlean.tensor.AutogradFunction;
import org.memlean.tensor.InPlace;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;

/** Chapter 9 exercises: a ReLU that works in place, and an attention whose in-place line breaks backward. */
public final class InPlaceOps {
    private InPlaceOps() {}

    /**
     * Task 9.1: ReLU in place — {@code x} becomes max(x, 0), no new buffer — differentiable, with the
     * framework's in-place protocol: an op that saved {@code x} before this write must fail in its
     * backward (the version counter), and your backward must give ReLU's gradient.
     * <p>Hints: what does ReLU's backward need to know, and can the output tell it? The framework's
     * in-place ops ({@code InPlace}, chapter 9's notebook) announce a write before it and record it
     * after: {@code InPlace.start} and {@code InPlace.record} — read how {@code InPlace.sigmoid} uses
     * them (you may not call the ready-made ReLU). When must you save: before the write or after?
     */
    public static Tensor relu(Tensor x) {
        throw new UnsupportedOperationException("Task 9.1: an in-place ReLU — not implemented yet. Hint: what does "
                + "its backward need, and what is left of x after the write?");
    }

    /**
     * Task 9.2: attention of q, k, v (B, H, T, D) with dropout on its probabilities, working in place
     * where it can. Its backward fails. Find the line that breaks it, make that one step out of place,
     * and keep every other in-place step (the grader counts the buffers).
     */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, double dropout) {
        Tensor scores = LinearAlgebra.matmul(q, k, false, true);                 // (B, H, T, T), saved by nobody
        InPlace.scale(scores, 1.0 / Math.sqrt(q.size(3)));
        InPlace.softmax(scores);                                                 // saves its output
        InPlace.dropout(scores, dropout, true);
        Tensor y = scores.matmul(v);                                             // (B, H, T, D)
        scores.release();
        return y;
    }

}
