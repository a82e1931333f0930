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
     * Task 9.1: ReLU in place — {@code x} becomes max(x, 0), no new buffer — differentiable. Its
     * backward needs only which elements were positive, which the output tells: save the output.
     * <p>Steps: {@code boolean recording = InPlace.start("myRelu_", x)}; write into {@code x.array()}
     * ({@code Kernels.clip(a, 0, Float.MAX_VALUE, a)}); {@code InPlace.record("myRelu_", x, f)} with your
     * AutogradFunction {@code f} (or null when not recording); then, inside your AutogradFunction, save {@code x} —
     * after the write. Its backward: the gradient where the saved output is positive, 0 elsewhere
     * ({@code Kernels.sign} of the output is 1 there and 0 at 0).
     */
    public static Tensor relu(Tensor x) {
        throw new UnsupportedOperationException("Task 9.1: an in-place ReLU — not implemented yet. Hint: start, write, "
                + "record, then save the output");
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
