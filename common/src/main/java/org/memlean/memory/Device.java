package org.memlean.memory;

import org.nd4j.linalg.factory.Nd4j;

/**
 * The backend's own view of device memory, through ND4J's backend-neutral API: the same calls on
 * the CPU backend (host memory) and the CUDA backend (the GPU of the calling thread).
 */
public final class Device {
    private Device() {}

    /** The device the calling thread allocates on. */
    public static int id() {
        return Nd4j.getAffinityManager().getDeviceForCurrentThread();
    }

    /**
     * libnd4j's count of native buffer bytes now allocated on the calling thread's device. Every
     * array is counted when allocated and uncounted when closed (or, if never closed, when the
     * garbage collector gets to it). ND4J spells the method {@code getDeviceCouner}.
     */
    public static long allocatedBytes() {
        return Nd4j.getEnvironment().getDeviceCouner(id());
    }

    /** The backend's allocation limit for the device in bytes, 0 when there is none. */
    public static long limitBytes() {
        return Nd4j.getEnvironment().getDeviceLimit(id());
    }

    public static void setLimitBytes(long bytes) {
        Nd4j.getEnvironment().setDeviceLimit(id(), bytes);
    }

    /**
     * Sets how many threads ND4J's BLAS and its op dispatch use, and returns the kernels' thread
     * count in force. libnd4j sizes its kernel thread pool once, at start, from
     * {@code OMP_NUM_THREADS} (or the core count) and ignores later requests, so the launcher sets
     * that variable from {@code --threads}; called in a running JVM this can only lower the BLAS.
     */
    public static int setComputeThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        return computeThreads();
    }

    /** The threads libnd4j's kernels use (its pool's size, fixed at start). */
    public static int computeThreads() {
        return Nd4j.getEnvironment().maxThreads();
    }

    /** A short name of the backend, for reports: "CPU" or "CUDA". */
    public static String backendName() {
        return Nd4j.getEnvironment().isCPU() ? "CPU" : "CUDA";
    }

    /**
     * Lets the garbage collector and ND4J's deallocator threads release arrays that some code
     * left unclosed, and waits until the counter stops moving (at most about a second). Call
     * before a measurement starts, never inside one: the framework itself closes what it makes.
     */
    public static long settle() {
        // the collector may free arrays in more than one round (finalisation, then ND4J's deallocator
        // thread, which a loaded machine may run late): three equal readings in a row, the last two
        // 20 ms apart or more, at most about three seconds
        long previous = allocatedBytes();
        int stable = 0;
        for (int round = 0; round < 100 && stable < 3; round++) {
            System.gc();
            try {
                Thread.sleep(round < 1 ? 5 : round < 3 ? 20 : 30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = allocatedBytes();
            stable = now == previous ? stable + 1 : 0;
            previous = now;
        }
        return previous;
    }
}
