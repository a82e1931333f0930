package org.memlean.exercises.ch07;

import org.memlean.dist.Collective;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;

/** Solution of Task 7.2. */
public final class Sharding {
    private Sharding() {}

    public static void releaseGradient(Tensor parameter, Tensor shard, Collective comm) {
        comm.reduceScatter(parameter.grad().array(), shard.array());       // my chunk of the sum
        Kernels.scale(shard.array(), 1.0 / comm.size(), shard.array());    // the mean
        parameter.zeroGrad(true);                                          // the whole gradient: freed now
    }
}
