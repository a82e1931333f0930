package org.memlean.dist;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.memlean.memory.Listeners;
import org.memlean.tensor.Kernels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The collective of ranks that are threads of one process: every rank publishes its arrays, waits
 * for the others, and computes its own part of the result by reading theirs — rank r sums chunk r,
 * then copies the chunks the others summed. Nothing is allocated: an all-reduce is a reduce-scatter
 * and an all-gather, both in place.
 *
 * <p><b>Order of summation.</b> Chunk r is summed starting from its owner's values, then the other
 * ranks' in rank order — the same order in an all-reduce and a reduce-scatter — so DDP and the ZeRO
 * stages, which reduce the same gradients with different operations, get bit-identical sums.
 *
 * <p><b>Failure.</b> A rendezvous waits at most the group's timeout. A rank that throws (and calls
 * {@link #abort}) or does not arrive in time fails every rank, each with the same
 * {@link CollectiveException} naming the rank at fault; nothing waits forever.
 */
final class ThreadCollective implements Collective {
    private final Shared shared;
    private final int rank;
    private long sent;
    private long received;
    private long calls;

    private ThreadCollective(Shared shared, int rank) {
        this.shared = shared;
        this.rank = rank;
    }

    /** The handles of a new group of {@code ranks} ranks whose rendezvous wait at most {@code timeout}. */
    public static List<Collective> group(int ranks, Duration timeout) {
        if (ranks < 1) throw new IllegalArgumentException("a group needs at least one rank, got " + ranks);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("a collective timeout must be positive, got " + timeout);
        }
        Shared shared = new Shared(ranks, timeout.toNanos());
        List<Collective> out = new ArrayList<>();
        for (int r = 0; r < ranks; r++) out.add(new ThreadCollective(shared, r));
        return List.copyOf(out);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return shared.n;
    }

    @Override
    public void allReduce(INDArray buffer) {
        INDArray flat = flat(buffer, "allReduce");
        Call[] all = arrive(new Call("allReduce", flat.length(), flat.dataType(), -1, flat, null));
        long s = Collective.chunk(flat.length(), shared.n);
        reduceChunk(all, rank, chunkOf(flat, rank, s), s);
        shared.await(rank, describe(all[rank]) + ", its reduce-scatter");
        for (int q = 0; q < shared.n; q++) {
            if (q == rank) continue;
            INDArray mine = chunkOf(flat, q, s);
            if (mine != null) Kernels.assign(mine, chunkOf(all[q].a, q, s));
        }
        shared.await(rank, describe(all[rank]) + ", its all-gather");
        count(Ring.allReduce(flat.length(), shared.n, bytes(flat)));
    }

    @Override
    public void reduceScatter(INDArray full, INDArray shard) {
        INDArray flatFull = flat(full, "reduceScatter");
        INDArray flatShard = flat(shard, "reduceScatter");
        long s = Collective.chunk(flatFull.length(), shared.n);
        long own = chunkLength(flatFull.length(), rank, s);
        String problem = Ring.shardProblem("reduceScatter", rank, shared.n, flatFull.length(), flatFull.dataType(),
                flatShard.length(), flatShard.dataType());
        if (problem != null) throw local(problem);
        Call[] all = arrive(new Call("reduceScatter", flatFull.length(), flatFull.dataType(), -1, flatFull, flatShard));
        INDArray out = own == 0 ? null : flatShard.get(NDArrayIndex.interval(0, own));
        reduceChunk(all, rank, out, s);
        if (flatShard.length() > own) Kernels.fill(flatShard.get(NDArrayIndex.interval(own, flatShard.length())), 0);
        shared.await(rank, describe(all[rank]) + ", after reducing");
        count(Ring.half(flatFull.length(), shared.n, bytes(flatFull)));
    }

    @Override
    public void allGather(INDArray shard, INDArray full) {
        INDArray flatFull = flat(full, "allGather");
        INDArray flatShard = flat(shard, "allGather");
        long s = Collective.chunk(flatFull.length(), shared.n);
        long own = chunkLength(flatFull.length(), rank, s);
        String problem = Ring.shardProblem("allGather", rank, shared.n, flatFull.length(), flatFull.dataType(),
                flatShard.length(), flatShard.dataType());
        if (problem != null) throw local(problem);
        Call[] all = arrive(new Call("allGather", flatFull.length(), flatFull.dataType(), -1, flatShard, flatFull));
        for (int q = 0; q < shared.n; q++) {
            long len = chunkLength(flatFull.length(), q, s);
            if (len == 0) continue;
            Kernels.assign(chunkOf(flatFull, q, s), all[q].a.get(NDArrayIndex.interval(0, len)));
        }
        shared.await(rank, describe(all[rank]) + ", after copying");
        count(Ring.half(flatFull.length(), shared.n, bytes(flatFull)));
    }

    @Override
    public void broadcast(INDArray buffer, int root) {
        if (root < 0 || root >= shared.n) {
            throw local("broadcast on rank " + rank + ": root " + root + " is not a rank of a group of " + shared.n);
        }
        INDArray flat = flat(buffer, "broadcast");
        Call[] all = arrive(new Call("broadcast", flat.length(), flat.dataType(), root, flat, null));
        if (rank != root) Kernels.assign(flat, all[root].a);
        shared.await(rank, describe(all[rank]) + ", after copying");
        count(Ring.broadcast(flat.length(), shared.n, bytes(flat), rank, root));
    }

    @Override
    public void barrier() {
        arrive(new Call("barrier", 0, DataType.FLOAT, -1, null, null));
        shared.await(rank, "barrier, leaving");
        count(new long[] {0, 0});
    }

    @Override
    public synchronized Traffic traffic() {
        return new Traffic(sent, received, calls);
    }

    @Override
    public void abort(Throwable cause) {
        shared.fail(new CollectiveException("rank " + rank + " failed: " + message(cause), rank, cause));
    }

    private void count(long[] sentAndReceived) {
        synchronized (this) {
            sent += sentAndReceived[0];
            received += sentAndReceived[1];
            calls++;
        }
        Listeners.communicated(sentAndReceived[0], sentAndReceived[1]);
    }

    /** Sums chunk {@code owner} of every rank's first array into {@code out}: the owner's values first. */
    private void reduceChunk(Call[] all, int owner, INDArray out, long s) {
        if (out == null) return;
        long len = out.length();
        long lo = owner * s;
        INDArray first = all[owner].a.get(NDArrayIndex.interval(lo, lo + len));
        Kernels.assign(out, first);                           // a no-op copy when out is that chunk (in place)
        for (int q = 0; q < shared.n; q++) {
            if (q == owner) continue;
            Kernels.add(out, all[q].a.get(NDArrayIndex.interval(lo, lo + len)), out);
        }
    }

    private static long chunkLength(long n, int r, long s) {
        return Math.max(0, Math.min(s, n - r * s));
    }

    /** Chunk {@code r} of a flat array, or null when it is empty. */
    private static INDArray chunkOf(INDArray flat, int r, long s) {
        long len = chunkLength(flat.length(), r, s);
        return len == 0 ? null : flat.get(NDArrayIndex.interval(r * s, r * s + len));
    }

    /** The array as one flat run of elements (a view: results written into it land in the caller's array). */
    private INDArray flat(INDArray a, String op) {
        if (a == null) throw local(op + " on rank " + rank + ": the array is null");
        if (a.rank() > 1 && a.ordering() != 'c' || !Shape.isContiguousInBuffer(a)) {
            throw local(op + " on rank " + rank + ": the array " + Arrays.toString(a.shape())
                    + " must be contiguous in row-major order (a whole buffer or a contiguous view)");
        }
        return a.rank() == 1 ? a : a.reshape('c', new long[] {a.length()});
    }

    private static int bytes(INDArray a) {
        return a.dataType().width();
    }

    private static String describe(Call c) {
        return c.op.equals("barrier") ? "barrier" : String.format(Locale.ROOT, "%s of %,d %s", c.op, c.length, c.type);
    }

    /** A mistake on this rank alone (a wrong argument): the group fails with it, so nobody waits for this rank. */
    private CollectiveException local(String message) {
        CollectiveException e = new CollectiveException(message, rank, null);
        shared.fail(e);
        return e;
    }

    /** Publishes this rank's call, waits for every rank's, and checks they are the same operation. */
    private Call[] arrive(Call call) {
        shared.publish(rank, call);
        long number;
        synchronized (this) {
            number = calls + 1;
        }
        shared.await(rank, describe(call) + " (this rank's collective call #" + number + ")");
        Call[] all = shared.calls.clone();
        for (int q = 0; q < shared.n; q++) {
            Call c = all[q];
            if (!c.op.equals(call.op) || c.length != call.length || c.type != call.type || c.root != call.root) {
                CollectiveException e = new CollectiveException("ranks called different collectives: rank " + rank
                        + " called " + describe(call) + (call.root >= 0 ? " from root " + call.root : "") + ", rank " + q
                        + " called " + describe(c) + (c.root >= 0 ? " from root " + c.root : "")
                        + "; every rank must call the same operations in the same order", -1, null);
                shared.fail(e);
                throw e;
            }
        }
        return all;
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private record Call(String op, long length, DataType type, int root, INDArray a, INDArray b) {}

    /** What the ranks of one group share: the published calls and a barrier that can fail and time out. */
    private static final class Shared {
        final int n;
        final long timeoutNanos;
        final Call[] calls;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final boolean[] waiting;
        private int count;
        private long generation;
        private CollectiveException failure;

        Shared(int n, long timeoutNanos) {
            this.n = n;
            this.timeoutNanos = timeoutNanos;
            this.calls = new Call[n];
            this.waiting = new boolean[n];
        }

        void publish(int rank, Call call) {
            lock.lock();
            try {
                if (failure != null) throw copy(failure);
                calls[rank] = call;
            } finally {
                lock.unlock();
            }
        }

        /** Waits until every rank has arrived, at most the timeout; fails the group otherwise. */
        void await(int rank, String where) {
            lock.lock();
            try {
                if (failure != null) throw copy(failure);
                long gen = generation;
                waiting[rank] = true;
                if (++count == n) {
                    count = 0;
                    Arrays.fill(waiting, false);
                    generation++;
                    changed.signalAll();
                    return;
                }
                long deadline = System.nanoTime() + timeoutNanos;
                while (generation == gen) {
                    if (failure != null) throw copy(failure);
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        List<Integer> missing = new ArrayList<>();
                        for (int q = 0; q < n; q++) if (!waiting[q]) missing.add(q);
                        fail(new CollectiveException(String.format(Locale.ROOT, "rank %d waited %s in %s for rank%s %s, "
                                + "which did not arrive: a rank that stops answering fails every rank", rank,
                                seconds(timeoutNanos), where, missing.size() == 1 ? "" : "s",
                                missing.size() == 1 ? missing.get(0).toString() : missing.toString()),
                                missing.size() == 1 ? missing.get(0) : -1, null));
                        throw copy(failure);
                    }
                    try {
                        changed.awaitNanos(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        fail(new CollectiveException("rank " + rank + " was interrupted while waiting in " + where,
                                rank, e));
                        throw copy(failure);
                    }
                }
            } finally {
                lock.unlock();
            }
        }

        void fail(CollectiveException e) {
            lock.lock();
            try {
                if (failure == null) failure = e;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        private static CollectiveException copy(CollectiveException f) {
            return new CollectiveException(f.getMessage(), f.failedRank(), f.getCause());
        }

        private static String seconds(long nanos) {
            return String.format(Locale.ROOT, "%.3g s", nanos / (double) TimeUnit.SECONDS.toNanos(1));
        }
    }
}
