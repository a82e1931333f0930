package org.memlean.lab;

import org.memlean.memory.Listener;
import org.memlean.memory.Listeners;
import org.memlean.memory.Storage;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A count of the work one stretch of code did on the calling thread: kernels launched, matrix-product
 * FLOPs (2·M·N·K each) and buffers allocated. Unlike a wall-clock time, these do not move with the
 * load on a shared machine, so they stand beside every time the course prints: a checkpointed step's
 * extra forward shows as extra FLOPs even when the clock is too noisy to see it.
 *
 * <pre>{@code
 * try (Work work = Work.count()) { step(); long flops = work.matmulFlops(); }
 * }</pre>
 */
public final class Work implements Listener, AutoCloseable {
    private long kernels;
    private long matmulFlops;
    private long allocations;
    private long allocatedBytes;
    private long sentBytes;
    private boolean closed;

    private Work() {}

    /** Starts counting the calling thread's work. */
    public static Work count() {
        Work w = new Work();
        Listeners.add(w);
        return w;
    }

    @Override
    public void allocated(Storage storage) {
        allocations++;
        allocatedBytes += storage.bytes();
    }

    @Override
    public boolean releasing(Storage storage, INDArray array) {
        return false;
    }

    @Override
    public void kernel(String name, long flops, Runnable call) {
        kernels++;
        matmulFlops += flops;
    }

    @Override
    public void communicated(long sent, long received) {
        sentBytes += sent;
    }

    /** Bytes sent to other ranks by collectives (as a ring sends them); 0 on one device. */
    public long sentBytes() {
        return sentBytes;
    }

    /** Kernels launched (each libnd4j op call is one). */
    public long kernels() {
        return kernels;
    }

    /** FLOPs of the matrix products run (2·M·N·K each; elementwise work not counted). */
    public long matmulFlops() {
        return matmulFlops;
    }

    /** Buffers the framework allocated. */
    public long allocations() {
        return allocations;
    }

    /** Bytes of those buffers, summed (not a peak: every allocation counts). */
    public long allocatedBytes() {
        return allocatedBytes;
    }

    /** Stops counting (the figures stay readable). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Listeners.remove(this);
    }
}
