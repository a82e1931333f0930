package org.memlean.exercises.ch07;

import java.util.List;
import org.memlean.dist.Collective;
import org.memlean.optim.AdamSettings;
import org.memlean.tensor.Tensor;

/**
 * Task 7.1: ZeRO-1, the sharded optimizer (CS336's second assignment asks for the same): every rank
 * holds the whole model and computes whole gradients, but keeps AdamW's moments only for its chunk
 * of each parameter. A step, on every rank: reduce-scatter each gradient so the rank holds its chunk
 * of the mean, update its chunk of the parameter with AdamW — {@code AdamW.apply}, the same kernels
 * DDP's AdamW runs — and all-gather the parameter so that every rank has all of it again. Then free
 * the gradients.
 * <p>Graded: every rank's parameters after two steps are bit-identical to DDP's (all-reduced
 * gradients, plain AdamW); each rank's optimizer state is 8 bytes per element of its chunks
 * (OPTIMIZER_STATE on the rank's meter) — about 1/N of AdamW's.
 * <p>Hints: {@code Collective.chunk(n, N)} is a chunk's length (the last one padded); which elements
 * of a flattened parameter does rank r own, and how do you view them without copying? The moments
 * are state: create them once, at the first step, in the right category.
 */
public final class ShardedAdamW implements AutoCloseable {
    public ShardedAdamW(List<Tensor> parameters, AdamSettings settings, Collective comm) {
        throw new UnsupportedOperationException("Task 7.1: the sharded optimizer — not implemented yet. Hint: moments "
                + "for this rank's chunks only");
    }

    /** One step: reduce-scatter the gradients, AdamW on this rank's chunks, all-gather the parameters, free the gradients. */
    public void step() {
        throw new UnsupportedOperationException("Task 7.1: the sharded step — not implemented yet");
    }

    /** Frees the moments. */
    @Override
    public void close() {
        throw new UnsupportedOperationException("Task 7.1: close — not implemented yet");
    }
}
