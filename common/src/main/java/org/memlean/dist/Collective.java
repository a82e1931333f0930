package org.memlean.dist;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One rank's handle on collective communication among the N ranks of a group: NCCL's operations on
 * ND4J arrays. Every rank of the group calls the same operations in the same order with arrays of the
 * same length and dtype (as with NCCL or {@code torch.distributed}); a call returns on a rank once its
 * own result is in place.
 *
 * <p><b>Chunks.</b> Reduce-scatter and all-gather split a buffer of n elements into N chunks of
 * {@code s = ⌈n/N⌉} ({@link #chunk}): rank r's chunk is elements [r·s, min((r+1)·s, n)), possibly
 * shorter or empty at the end — the padded layout ZeRO and FSDP use, so every rank's shard has the
 * same s elements.
 *
 * <p><b>Traffic.</b> Each handle counts what its rank sends and receives as a ring algorithm would
 * (NCCL's default): an all-reduce sends 2(N−1) chunks, a reduce-scatter or all-gather N−1 chunks, a
 * broadcast the whole buffer from every rank but the last on the ring. The counts do not depend on how
 * an implementation really moves the data.
 */
public interface Collective extends AutoCloseable {
    /** This handle's rank, 0 … size−1. */
    int rank();

    /** The number of ranks N. */
    int size();

    /** In place: every rank's {@code buffer} becomes the elementwise sum of all ranks' buffers. */
    void allReduce(INDArray buffer);

    /**
     * Rank r's {@code shard} (s elements; or, in place, the view of chunk r of {@code full}) receives
     * the sum over ranks of chunk r of {@code full}; shard elements past the chunk's end are zeroed.
     * The rest of {@code full} is left as it was.
     */
    void reduceScatter(INDArray full, INDArray shard);

    /**
     * Every rank's {@code full} receives every rank's shard in rank order: chunk q of {@code full} is
     * the first elements of rank q's {@code shard} (s elements; or, in place, the view of chunk r of
     * {@code full}).
     */
    void allGather(INDArray shard, INDArray full);

    /** Every rank's {@code buffer} receives rank {@code root}'s. */
    void broadcast(INDArray buffer, int root);

    /** Returns once every rank has called it. */
    void barrier();

    /** Bytes this rank has sent and received so far, counted as a ring would. */
    Traffic traffic();

    /**
     * Fails the whole group with {@code cause}: every rank waiting in, or later entering, a collective
     * throws a {@link CollectiveException} naming it. For a rank that failed outside a collective.
     */
    void abort(Throwable cause);

    /**
     * Called once on the rank's own thread before it does any work: NCCL binds the thread to GPU r
     * there. The thread implementation needs nothing.
     */
    default void bindThread() {}

    /** Releases what the handle holds (an NCCL communicator); the thread implementation holds nothing. */
    @Override
    default void close() {}

    /** The chunk length s = ⌈n/N⌉ of a buffer of {@code n} elements split among {@code ranks} ranks. */
    static long chunk(long n, int ranks) {
        if (ranks < 1) throw new IllegalArgumentException("a group has at least one rank, got " + ranks);
        return (n + ranks - 1) / ranks;
    }

    /** Bytes sent and received by one rank, and the collective calls it made. */
    record Traffic(long sentBytes, long receivedBytes, long calls) {
        /** What was sent and received since {@code before}. */
        public Traffic since(Traffic before) {
            return new Traffic(sentBytes - before.sentBytes, receivedBytes - before.receivedBytes, calls - before.calls);
        }
    }
}
