package org.memlean.dist;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntSupplier;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.memlean.memory.Category;
import org.memlean.memory.Listeners;
import org.memlean.memory.Memory;
import org.memlean.memory.Storage;
import org.memlean.tensor.Kernels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import static org.bytedeco.cuda.global.cudart.cudaErrorNotReady;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamQuery;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;
import static org.bytedeco.cuda.global.nccl.ncclAllGather;
import static org.bytedeco.cuda.global.nccl.ncclAllReduce;
import static org.bytedeco.cuda.global.nccl.ncclBfloat16;
import static org.bytedeco.cuda.global.nccl.ncclBroadcast;
import static org.bytedeco.cuda.global.nccl.ncclCommAbort;
import static org.bytedeco.cuda.global.nccl.ncclCommDestroy;
import static org.bytedeco.cuda.global.nccl.ncclCommGetAsyncError;
import static org.bytedeco.cuda.global.nccl.ncclCommInitAll;
import static org.bytedeco.cuda.global.nccl.ncclFloat16;
import static org.bytedeco.cuda.global.nccl.ncclFloat32;
import static org.bytedeco.cuda.global.nccl.ncclFloat64;
import static org.bytedeco.cuda.global.nccl.ncclGetErrorString;
import static org.bytedeco.cuda.global.nccl.ncclInt32;
import static org.bytedeco.cuda.global.nccl.ncclReduceScatter;
import static org.bytedeco.cuda.global.nccl.ncclSuccess;
import static org.bytedeco.cuda.global.nccl.ncclSum;

/**
 * The collective of N GPUs in one process, on NCCL (the engine under PyTorch's DDP, FSDP and
 * DeepSpeed): rank r is GPU r, driven by its rank's thread. Only under ND4J's CUDA backend
 * ({@code -Pcuda}) and with N GPUs; the course's tests tagged {@code gpu} run it. <b>No GPU was within
 * reach when it was written: it compiles in every build, and has not been run.</b>
 *
 * <p>NCCL wants what a ring moves to be equal chunks: a reduce-scatter or all-gather of a buffer whose
 * length N does not divide goes through a padded staging buffer of N·s elements (TEMPORARY, on the
 * rank's ledger like everything else). Operations are queued on a stream of the rank's own and waited
 * for with a deadline: a rank that does not take part within the timeout aborts every communicator, so
 * the others return with an error instead of waiting in a kernel forever.
 */
public final class NcclCollective implements Collective {
    private final Shared shared;
    private final int rank;
    private CUstream_st stream;
    private long sent;
    private long received;
    private long calls;

    private NcclCollective(Shared shared, int rank) {
        this.shared = shared;
        this.rank = rank;
    }

    /** Handles for GPUs 0 … ranks−1 (one NCCL communicator each, made together with ncclCommInitAll). */
    public static List<Collective> group(int ranks, Duration timeout) {
        int devices = Nd4j.getAffinityManager().getNumberOfDevices();
        if (ranks < 1 || ranks > devices) {
            throw new IllegalArgumentException("an NCCL group of " + ranks + " ranks needs as many GPUs; ND4J sees "
                    + devices + " (is the cuda profile's backend in use?)");
        }
        PointerPointer<ncclComm> comms = new PointerPointer<>(ranks);
        int[] devs = new int[ranks];
        for (int i = 0; i < ranks; i++) devs[i] = i;
        check(ncclCommInitAll(comms, ranks, devs), "ncclCommInitAll for " + ranks + " GPUs");
        Shared shared = new Shared(ranks, timeout.toNanos());
        for (int i = 0; i < ranks; i++) shared.comms[i] = comms.get(ncclComm.class, i);
        List<Collective> out = new ArrayList<>();
        for (int r = 0; r < ranks; r++) out.add(new NcclCollective(shared, r));
        return List.copyOf(out);
    }

    /** Binds the calling thread (the rank's) to GPU r, for ND4J and for CUDA, and makes its stream. */
    @Override
    public void bindThread() {
        Nd4j.getAffinityManager().unsafeSetDevice(rank);
        checkCuda(cudaSetDevice(rank), "cudaSetDevice(" + rank + ")");
        stream = new CUstream_st();
        checkCuda(cudaStreamCreate(stream), "cudaStreamCreate on GPU " + rank);
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
        enter("allReduce", buffer);
        ready(buffer);
        run(() -> ncclAllReduce(device(buffer), device(buffer), buffer.length(), type(buffer), ncclSum,
                shared.comms[rank], stream), "allReduce of " + buffer.length());
        written(buffer);
        count(Ring.allReduce(buffer.length(), shared.n, width(buffer)));
    }

    @Override
    public void reduceScatter(INDArray full, INDArray shard) {
        enter("reduceScatter", full, shard);
        long n = full.length();
        long s = Collective.chunk(n, shared.n);
        long own = Math.max(0, Math.min(s, n - rank * s));
        String problem = Ring.shardProblem("reduceScatter", rank, shared.n, n, full.dataType(), shard.length(), shard.dataType());
        if (problem != null) throw local(problem);
        Storage staging = Memory.allocate(full.dataType(), new long[] {shared.n * s}, Category.TEMPORARY,
                "NCCL reduce-scatter staging");
        try {
            INDArray padded = staging.array();
            Kernels.fill(padded, 0);
            Kernels.assign(padded.get(NDArrayIndex.interval(0, n)), flat(full));
            ready(padded);
            INDArray mine = padded.get(NDArrayIndex.interval(rank * s, rank * s + s));   // in place, as NCCL allows
            run(() -> ncclReduceScatter(device(padded), device(mine), s, type(full), ncclSum, shared.comms[rank],
                    stream), "reduceScatter of " + n);
            written(padded);
            Kernels.assign(flat(shard), mine.get(NDArrayIndex.interval(0, shard.length())));
        } finally {
            staging.free();
        }
        count(Ring.half(n, shared.n, width(full)));
    }

    @Override
    public void allGather(INDArray shard, INDArray full) {
        enter("allGather", shard, full);
        long n = full.length();
        long s = Collective.chunk(n, shared.n);
        long own = Math.max(0, Math.min(s, n - rank * s));
        String problem = Ring.shardProblem("allGather", rank, shared.n, n, full.dataType(), shard.length(), shard.dataType());
        if (problem != null) throw local(problem);
        Storage staging = Memory.allocate(full.dataType(), new long[] {shared.n * s}, Category.TEMPORARY,
                "NCCL all-gather staging");
        try {
            INDArray padded = staging.array();
            INDArray mine = padded.get(NDArrayIndex.interval(rank * s, rank * s + s));
            Kernels.fill(mine, 0);
            if (own > 0) Kernels.assign(mine.get(NDArrayIndex.interval(0, own)), flat(shard).get(NDArrayIndex.interval(0, own)));
            ready(padded);
            run(() -> ncclAllGather(device(mine), device(padded), s, type(full), shared.comms[rank], stream),
                    "allGather of " + n);
            written(padded);
            Kernels.assign(flat(full), padded.get(NDArrayIndex.interval(0, n)));
        } finally {
            staging.free();
        }
        count(Ring.half(n, shared.n, width(full)));
    }

    @Override
    public void broadcast(INDArray buffer, int root) {
        enter("broadcast", buffer);
        ready(buffer);
        run(() -> ncclBroadcast(device(buffer), device(buffer), buffer.length(), type(buffer), root,
                shared.comms[rank], stream), "broadcast of " + buffer.length() + " from " + root);
        written(buffer);
        count(Ring.broadcast(buffer.length(), shared.n, width(buffer), rank, root));
    }

    /** An all-reduce of one float, as torch.distributed's NCCL barrier does. */
    @Override
    public void barrier() {
        Storage one = Memory.zeros(DataType.FLOAT, new long[] {1}, Category.TEMPORARY, "NCCL barrier");
        try {
            enter("barrier");
            ready(one.array());
            run(() -> ncclAllReduce(device(one.array()), device(one.array()), 1, ncclFloat32, ncclSum,
                    shared.comms[rank], stream), "barrier");
        } finally {
            one.free();
        }
        count(new long[] {0, 0});
    }

    @Override
    public synchronized Traffic traffic() {
        return new Traffic(sent, received, calls);
    }

    @Override
    public void abort(Throwable cause) {
        shared.fail(new CollectiveException("rank " + rank + " failed: " + cause, rank, cause));
    }

    @Override
    public void close() {
        if (stream != null) cudaStreamDestroy(stream);
        shared.destroy(rank);
    }

    // ---------------------------------------------------------------- plumbing

    private void enter(String op, INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a == null || !Shape.isContiguousInBuffer(a) || a.rank() > 1 && a.ordering() != 'c') {
                throw local(op + " on rank " + rank + ": every array must be contiguous in row-major order");
            }
        }
        shared.enter(rank);
        if (shared.failure != null) throw copy(shared.failure);
    }

    /** ND4J's queued work on this array is done and its device copy is current. */
    private static void ready(INDArray a) {
        Nd4j.getExecutioner().commit();
        Nd4j.getAffinityManager().ensureLocation(a, AffinityManager.Location.DEVICE);
    }

    /** NCCL wrote the device copy: the host copy is stale. */
    private static void written(INDArray a) {
        Nd4j.getAffinityManager().tagLocation(a, AffinityManager.Location.DEVICE);
    }

    /** Queues an NCCL call on this rank's stream and waits for it with the group's deadline. */
    private void run(IntSupplier call, String what) {
        check(call.getAsInt(), what + " on rank " + rank);
        long deadline = System.nanoTime() + shared.timeoutNanos;
        while (true) {
            int status = cudaStreamQuery(stream);
            if (status == cudaSuccess) return;
            if (status != cudaErrorNotReady) checkCuda(status, what + " on rank " + rank);
            int[] async = new int[1];
            ncclCommGetAsyncError(shared.comms[rank], async);
            if (async[0] != ncclSuccess) {
                shared.fail(new CollectiveException("NCCL failed in " + what + " on rank " + rank + ": "
                        + ncclGetErrorString(async[0]).getString(), rank, null));
            }
            if (shared.failure != null) throw copy(shared.failure);
            if (System.nanoTime() > deadline) {
                shared.fail(new CollectiveException(String.format(Locale.ROOT, "rank %d waited %.3g s in %s for rank%s %s, "
                        + "which did not take part: a rank that stops answering fails every rank", rank,
                        shared.timeoutNanos / 1e9, what, "s", shared.behind(rank)), -1, null));
                throw copy(shared.failure);
            }
            Thread.onSpinWait();
        }
    }

    private CollectiveException local(String message) {
        CollectiveException e = new CollectiveException(message, rank, null);
        shared.fail(e);
        return e;
    }

    private synchronized void count(long[] sentAndReceived) {
        sent += sentAndReceived[0];
        received += sentAndReceived[1];
        calls++;
        Listeners.communicated(sentAndReceived[0], sentAndReceived[1]);
    }

    private static INDArray flat(INDArray a) {
        return a.rank() == 1 ? a : a.reshape('c', new long[] {a.length()});
    }

    /** The device address of an array's first element (views included). */
    private static Pointer device(INDArray a) {
        long address = a.data().platformAddress() + a.offset() * a.dataType().width();
        return new Pointer() {
            {
                this.address = address;
            }
        };
    }

    private static int type(INDArray a) {
        return switch (a.dataType()) {
            case FLOAT -> ncclFloat32;
            case HALF -> ncclFloat16;
            case BFLOAT16 -> ncclBfloat16;
            case DOUBLE -> ncclFloat64;
            case INT -> ncclInt32;
            default -> throw new IllegalArgumentException("NCCL has no reduction for " + a.dataType());
        };
    }

    private static int width(INDArray a) {
        return a.dataType().width();
    }

    private static void check(int result, String what) {
        if (result != ncclSuccess) {
            throw new CollectiveException("NCCL: " + what + " failed: " + ncclGetErrorString(result).getString(), -1, null);
        }
    }

    private static void checkCuda(int result, String what) {
        if (result != cudaSuccess) {
            throw new CollectiveException("CUDA: " + what + " failed: " + cudaGetErrorString(result).getString(), -1, null);
        }
    }

    private static CollectiveException copy(CollectiveException f) {
        return new CollectiveException(f.getMessage(), f.failedRank(), f.getCause());
    }

    /** The communicators, the calls each rank has entered (to name who is behind), the first failure. */
    private static final class Shared {
        final int n;
        final long timeoutNanos;
        final ncclComm[] comms;
        final long[] entered;
        volatile CollectiveException failure;
        private boolean aborted;

        Shared(int n, long timeoutNanos) {
            this.n = n;
            this.timeoutNanos = timeoutNanos;
            this.comms = new ncclComm[n];
            this.entered = new long[n];
        }

        synchronized void enter(int rank) {
            entered[rank]++;
        }

        synchronized String behind(int rank) {
            List<Integer> out = new ArrayList<>();
            for (int q = 0; q < n; q++) if (entered[q] < entered[rank]) out.add(q);
            return out.toString();
        }

        /** Records the first failure and aborts every communicator, so no rank stays inside a kernel. */
        synchronized void fail(CollectiveException e) {
            if (failure == null) failure = e;
            if (!aborted) {
                aborted = true;
                for (ncclComm c : comms) if (c != null) ncclCommAbort(c);
            }
        }

        synchronized void destroy(int rank) {
            if (!aborted && comms[rank] != null) ncclCommDestroy(comms[rank]);
            comms[rank] = null;
        }
    }
}
