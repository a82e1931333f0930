package org.memlean.memory;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Something that watches the framework's native work on one thread: every buffer it allocates and
 * frees, and every kernel it launches. The bench's {@link Trace} (a replayable recording) and the
 * {@link Work} counter (kernels, FLOPs and allocations per step) are listeners; the framework calls
 * them from its three native call sites — allocation, release and kernel launch — and nowhere else.
 *
 * <p>Register with {@link Listeners#add(Listener)} on the thread to watch; remove when done.
 */
public interface Listener {
    /** A buffer was allocated and counted. */
    default void allocated(Storage storage) {}

    /**
     * A buffer is being released. Return true to keep its native array alive (the listener then
     * closes it itself, later); the ledger counts the release either way.
     */
    default boolean releasing(Storage storage, INDArray array) {
        return false;
    }

    /**
     * A kernel is about to run. {@code flops} is the arithmetic it does where the framework knows it
     * (2·M·N·K for a matrix product), 0 otherwise.
     */
    default void kernel(String name, long flops, Runnable call) {}

    /** A collective moved data: this rank sent and received these bytes (counted as a ring would). */
    default void communicated(long sentBytes, long receivedBytes) {}
}
