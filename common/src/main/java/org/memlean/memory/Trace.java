package org.memlean.memory;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A recording of the ND4J calls one stretch of framework code makes — every allocation, every
 * kernel, every release — that can be replayed as plain ND4J: no autograd, no ledger, no scopes.
 * The difference in time between the framework and its replay is the framework's overhead.
 *
 * <p>While recording, released buffers are kept alive (the kernels' replays use them); they are
 * closed when the trace closes. Replayed allocations allocate and free buffers of the same sizes,
 * so the replay pays what a plain ND4J program pays for memory.
 */
public final class Trace implements AutoCloseable {
    private static final ThreadLocal<Trace> ACTIVE = new ThreadLocal<>();

    private final List<Runnable> calls = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<INDArray> deferred = new ArrayList<>();
    private final Map<Storage, Integer> slots = new IdentityHashMap<>();
    private int slotCount;
    private int kernels;

    private Trace() {}

    /** Starts recording the calling thread's ND4J calls. */
    public static Trace record() {
        if (ACTIVE.get() != null) throw new IllegalStateException("a trace is already recording on this thread");
        Trace t = new Trace();
        ACTIVE.set(t);
        return t;
    }

    /** The trace recording on this thread, or null. */
    public static Trace active() {
        return ACTIVE.get();
    }

    /** Stops recording (the trace stays replayable until closed). */
    public void stop() {
        if (ACTIVE.get() == this) ACTIVE.remove();
    }

    void allocated(Storage storage, DataType dataType, long[] shape) {
        int slot = slotCount++;
        slots.put(storage, slot);
        long[] s = shape.clone();
        calls.add(() -> replaySlots[slot] = Nd4j.createUninitialized(dataType, s));
        names.add("allocate");
    }

    /** Returns true if the trace keeps the buffer alive instead (it is closed with the trace). */
    boolean released(Storage storage, INDArray array) {
        Integer slot = slots.remove(storage);
        if (slot != null) {
            calls.add(() -> {
                replaySlots[slot].close();
                replaySlots[slot] = null;
            });
            names.add("free");
        }
        deferred.add(array);
        return true;
    }

    /** Records a kernel call: the replay runs it again on the same arrays. */
    public void kernel(String name, Runnable call) {
        kernels++;
        calls.add(call);
        names.add(name);
    }

    /** Replays once, timing each call: milliseconds per call name, largest first. */
    public Map<String, Double> profile() {
        replaySlots = new INDArray[slotCount];
        Map<String, Double> ms = new java.util.HashMap<>();
        for (int i = 0; i < calls.size(); i++) {
            long start = System.nanoTime();
            calls.get(i).run();
            ms.merge(names.get(i), (System.nanoTime() - start) / 1e6, Double::sum);
        }
        for (INDArray a : replaySlots) if (a != null) a.close();
        Map<String, Double> sorted = new java.util.LinkedHashMap<>();
        ms.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    private INDArray[] replaySlots;

    /** Runs the recorded calls once, as plain ND4J. */
    public void replay() {
        replaySlots = new INDArray[slotCount];
        for (Runnable call : calls) call.run();
        for (INDArray a : replaySlots) if (a != null) a.close();
    }

    /** Number of kernel calls recorded. */
    public int kernelCount() {
        return kernels;
    }

    /** Number of allocations recorded. */
    public int allocationCount() {
        return slotCount;
    }

    @Override
    public void close() {
        stop();
        for (INDArray a : deferred) a.close();
        deferred.clear();
    }
}
