package org.memlean.exercises.ch07;

import org.memlean.dist.Collective;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;

/** Chapter 7 exercises, solved. */
public final class Sharding {
    private Sharding() {}

    public static long[] ownedRange(long n, int ranks, int rank) {
        long s = (n + ranks - 1) / ranks;
        long start = Math.min(rank * s, n);
        return new long[] {start, Math.min(start + s, n)};
    }

    public static double[] reduceScatter(double[][] gradients, int rank) {
        int ranks = gradients.length;
        int n = gradients[0].length;
        int s = (n + ranks - 1) / ranks;
        long[] range = ownedRange(n, ranks, rank);
        double[] out = new double[s];
        for (long i = range[0]; i < range[1]; i++) {
            for (double[] g : gradients) out[(int) (i - range[0])] += g[(int) i];
        }
        return out;
    }

    public static void releaseGradient(Tensor parameter, Tensor shard, Collective comm) {
        comm.reduceScatter(parameter.grad().array(), shard.array());        // my chunk of the sum
        Kernels.scale(shard.array(), 1.0 / comm.size(), shard.array());         // the mean over ranks
        parameter.zeroGrad(true);                                           // the whole gradient: freed now
    }
}
