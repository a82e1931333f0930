package org.memlean.dist;

import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What one rank sends and receives in each collective when a ring algorithm runs it (NCCL's default
 * for large buffers): {sent, received} bytes, for a buffer of n elements of {@code width} bytes split
 * into N chunks of s = ⌈n/N⌉. Both implementations count with these, so their traffic agrees.
 */
final class Ring {
    private Ring() {}

    /** Reduce-scatter then all-gather around the ring: 2(N−1) chunks each way. */
    static long[] allReduce(long n, int ranks, int width) {
        long b = 2L * (ranks - 1) * Collective.chunk(n, ranks) * width;
        return new long[] {b, b};
    }

    /** A reduce-scatter or an all-gather: N−1 chunks each way. */
    static long[] half(long n, int ranks, int width) {
        long b = (ranks - 1L) * Collective.chunk(n, ranks) * width;
        return new long[] {b, b};
    }

    /** The whole buffer passed along the ring from the root: the last rank sends nothing, the root receives nothing. */
    static long[] broadcast(long n, int ranks, int width, int rank, int root) {
        int position = Math.floorMod(rank - root, ranks);
        long b = n * width;
        return new long[] {position < ranks - 1 ? b : 0, position > 0 ? b : 0};
    }

    /**
     * What is wrong with a shard for chunk {@code rank} of a buffer of {@code n} elements (between the
     * chunk's length and s = ⌈n/N⌉ elements, the buffer's dtype), or null when nothing is.
     */
    static String shardProblem(String op, int rank, int ranks, long n, DataType type,
                               long shardLength, DataType shardType) {
        long s = Collective.chunk(n, ranks);
        long own = Math.max(0, Math.min(s, n - rank * s));
        if (shardLength >= own && shardLength <= s && shardType == type) return null;
        return String.format(Locale.ROOT, "%s on rank %d: the shard must hold between %d and %d %s elements "
                + "(chunk %d of %d), got %d %s", op, rank, own, s, type, rank, n, shardLength, shardType);
    }
}
