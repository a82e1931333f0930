package org.memlean.exercises.ch07;

import org.memlean.dist.Collective;
import org.memlean.tensor.Tensor;

/** Chapter 7: ZeRO-2's gradient release. */
public final class Sharding {
    private Sharding() {}

    /**
     * Task 7.2: ZeRO-2's gradient release. Autograd calls this right after {@code parameter}'s
     * gradient is complete ({@code parameter.grad()}, the rank's whole gradient of it). Put this
     * rank's chunk of the gradient, averaged over the ranks, into {@code shard} (s elements) and free
     * the whole gradient at once, so that a rank never holds more than one whole gradient at a time.
     * Graded on the rank's meter and against the mean of the ranks' gradients.
     * <p>Hints: which collective leaves each rank with only its chunk of a sum? The mean is the sum
     * over how many? What frees a gradient (chapter 8 calls forgetting it a bug)?
     */
    public static void releaseGradient(Tensor parameter, Tensor shard, Collective comm) {
        throw new UnsupportedOperationException("Task 7.2: ZeRO-2's gradient release — not implemented yet. Hint: "
                + "the collective that leaves each rank its chunk of a sum");
    }
}
