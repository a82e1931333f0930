package org.memlean.exercises.ch07;

import org.memlean.dist.Collective;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;

/** Chapter 7 exercises: which chunk a rank owns, and ZeRO-2's release of a gradient. */
public final class Sharding {
    private Sharding() {}

    /**
     * Task 7.1a: the elements [start, end) of a flattened gradient of {@code n} elements that rank
     * {@code rank} of {@code ranks} owns after a reduce-scatter: chunks of s = ⌈n/N⌉, the last one shorter
     * (possibly empty, start = end).
     * <p>Hint: start = r·s, end = min((r+1)·s, n), both at most n.
     */
    public static long[] ownedRange(long n, int ranks, int rank) {
        throw new UnsupportedOperationException("Task 7.1: the owned range — not implemented yet. Hint: chunks of "
                + "⌈n/N⌉, rank r's starts at r·⌈n/N⌉");
    }

    /**
     * Task 7.1b: what rank {@code rank} holds after a reduce-scatter of the ranks' gradients
     * ({@code gradients[q]} is rank q's, all of one length n): its s = ⌈n/N⌉ elements of the sum over
     * ranks, zeros past the end of the gradient.
     */
    public static double[] reduceScatter(double[][] gradients, int rank) {
        throw new UnsupportedOperationException("Task 7.1: reduce-scatter — not implemented yet. Hint: sum the ranks' "
                + "values over your owned range; pad to s");
    }

    /**
     * Task 7.2: ZeRO-2's gradient release. Autograd calls this right after {@code parameter}'s
     * gradient is complete ({@code parameter.grad()}, the rank's whole gradient of it). Put this
     * rank's chunk of the gradient averaged over the ranks into {@code shard} (s elements) and free the
     * whole gradient at once, so a rank never holds more than one whole gradient at a time.
     * <p>Hints: {@code comm.reduceScatter(full, shard)} sums; {@code Kernels.scale} divides
     * by {@code comm.size()}; {@code parameter.zeroGrad(true)} frees. The grader reads the rank's meter.
     */
    public static void releaseGradient(Tensor parameter, Tensor shard, Collective comm) {
        throw new UnsupportedOperationException("Task 7.2: ZeRO-2's gradient release — not implemented yet. Hint: "
                + "reduce-scatter into the shard, scale by 1/N, free the whole gradient");
    }
}
