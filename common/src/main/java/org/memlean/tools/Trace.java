package org.memlean.tools;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memlean.memory.Listener;
import org.memlean.memory.Listeners;
import org.memlean.memory.Storage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A recording of the ND4J calls one stretch of framework code makes — every allocation, every
 * kernel, every release — that can be replayed as plain ND4J: no autograd, no ledger, no scopes.
 * The difference in time between the framework and its replay is the framework's overhead.
 *
 * <p>A {@link Listener}: while recording, released buffers are kept alive (the kernels' replays use
 * them); they are closed when the trace closes. Replayed allocations allocate and free buffers of
 * the same sizes, so the replay pays what a plain ND4J program pays for memory.
 */
final class Trace implements Listener, AutoCloseable {
    private final List<Runnable> calls = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<INDArray> deferred = new ArrayList<>();
    private final Map<Storage, Integer> slots = new IdentityHashMap<>();
    private INDArray[] replaySlots;
    private int slotCount;
    private int kernels;
    private boolean recording;

    private Trace() {}

    /** Starts recording the calling thread's ND4J calls. */
    public static Trace record() {
        Trace t = new Trace();
        t.recording = true;
        Listeners.add(t);
        return t;
    }

    /** Stops recording (the trace stays replayable until closed). */
    public void stop() {
        if (!recording) return;
        recording = false;
        Listeners.remove(this);
    }

    @Override
    public void allocated(Storage storage) {
        int slot = slotCount++;
        slots.put(storage, slot);
        DataType dataType = storage.array().dataType();
        long[] shape = storage.array().shape();
        calls.add(() -> replaySlots[slot] = Nd4j.createUninitialized(dataType, shape));
        names.add("allocate");
    }

    @Override
    public boolean releasing(Storage storage, INDArray array) {
        Integer slot = slots.remove(storage);
        if (slot != null) {
            calls.add(() -> {
                replaySlots[slot].close();
                replaySlots[slot] = null;
            });
            names.add("free");
        }
        deferred.add(array);
        return true;   // kept alive: the recorded kernels may read it when replayed
    }

    @Override
    public void kernel(String name, long flops, Runnable call) {
        kernels++;
        calls.add(call);
        names.add(name);
    }

    /** Replays once, timing each call: milliseconds per call name, largest first. */
    public Map<String, Double> profile() {
        replaySlots = new INDArray[slotCount];
        Map<String, Double> ms = new HashMap<>();
        for (int i = 0; i < calls.size(); i++) {
            long start = System.nanoTime();
            calls.get(i).run();
            ms.merge(names.get(i), (System.nanoTime() - start) / 1e6, Double::sum);
        }
        closeReplaySlots();
        Map<String, Double> sorted = new LinkedHashMap<>();
        ms.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** Runs the recorded calls once, as plain ND4J. */
    public void replay() {
        replaySlots = new INDArray[slotCount];
        for (Runnable call : calls) call.run();
        closeReplaySlots();
    }

    private void closeReplaySlots() {
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
