package org.memlean.lab;

/**
 * The work of one training step, counted (not timed): noise on shared cores cannot move it.
 *
 * @param matmulFlops FLOPs of the matrix products (2·M·N·K each), recomputation included
 * @param kernels libnd4j kernels launched
 * @param allocations buffers the framework allocated
 * @param sentBytes bytes sent to other ranks by collectives (rank 0's, for simulated ranks); 0 on one device
 */
public record StepWork(long matmulFlops, long kernels, long allocations, long sentBytes) {
    /** This step's work over {@code baseline}'s: by FLOPs where both did matrix products, else by kernels. */
    public double ratioTo(StepWork baseline) {
        if (matmulFlops > 0 && baseline.matmulFlops > 0) return (double) matmulFlops / baseline.matmulFlops;
        return baseline.kernels == 0 ? Double.NaN : (double) kernels / baseline.kernels;
    }

}
