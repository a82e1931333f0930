package org.memlean.memory;

import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The one place the framework allocates native memory. Each buffer is checked against the device
 * budget and the calling thread's meter budget, counted in that meter, and given to the innermost
 * scope unless its category is kept across steps.
 *
 * <p>Every native allocation and release the framework makes happens under {@link #LOCK}, with its
 * ledger entry, so that at any event the backend counter equals the sum of every meter's ledger —
 * also when several simulated ranks allocate at once.
 */
public final class Memory {
    /** Held across each native allocation or release and its ledger entry. */
    public static final Object LOCK = new Object();

    private Memory() {}

    /** An uninitialised buffer (every element will be written before it is read). */
    public static Storage allocate(DataType dataType, long[] shape, Category category, String label) {
        return track(dataType, shape, category, label, () -> Nd4j.createUninitialized(dataType, shape));
    }

    /** A buffer of zeros. */
    public static Storage zeros(DataType dataType, long[] shape, Category category, String label) {
        return track(dataType, shape, category, label, () -> Nd4j.create(dataType, shape));
    }

    /** A buffer holding a copy of Java data (used for inputs and small constants). */
    public static Storage copyOf(float[] data, long[] shape, DataType dataType, Category category, String label) {
        if (dataType == DataType.FLOAT) {
            return track(dataType, shape, category, label, () -> Nd4j.create(data, shape, DataType.FLOAT));
        }
        Storage s = allocate(dataType, shape, category, label);
        try {
            fill(s.array(), data);
        } catch (RuntimeException e) {
            s.free();
            throw e;
        }
        return s;
    }

    /**
     * Writes Java floats into {@code out} (any dtype) through a FLOAT staging buffer that is counted
     * as TEMPORARY and checked against the budget like everything else.
     */
    public static void fill(INDArray out, float[] values) {
        Storage staging = track(DataType.FLOAT, out.shape(), Category.TEMPORARY, "staging",
                () -> Nd4j.create(values, out.shape(), DataType.FLOAT));
        try {
            out.assign(staging.array());
        } finally {
            staging.free();
        }
    }

    /** Writes Java doubles into {@code out} through a counted DOUBLE staging buffer (exact for every dtype). */
    public static void fill(INDArray out, double[] values) {
        Storage staging = track(DataType.DOUBLE, out.shape(), Category.TEMPORARY, "staging",
                () -> Nd4j.create(values, out.shape(), DataType.DOUBLE));
        try {
            out.assign(staging.array());
        } finally {
            staging.free();
        }
    }

    /** A buffer holding a copy of Java integer data. */
    public static Storage copyOf(int[] data, long[] shape, Category category, String label) {
        return track(DataType.INT32, shape, category, label, () -> Nd4j.create(data, shape, DataType.INT32));
    }

    /**
     * Counts an array made by {@code make}: budget checks first, then allocation and the ledger
     * entry together. The backend's own refusal (the budget reached by something the check could
     * not see) becomes the same exception.
     */
    public static Storage track(DataType dataType, long[] shape, Category category, String label,
                                Supplier<INDArray> make) {
        long bytes = Storage.bytesOf(dataType, shape);
        checkBudgets(bytes, dataType, shape, category, label);
        synchronized (LOCK) {
            INDArray array;
            try {
                array = make.get();
            } catch (RuntimeException e) {
                if (isBackendOutOfMemory(e)) throw outOfMemory(bytes, dataType, shape, category, label, e);
                throw e;
            }
            return register(array, bytes, category, label);
        }
    }

    /**
     * Fails with the course's out-of-memory error if {@code bytes} more would pass the device budget
     * or the calling thread's meter budget. Nothing is allocated.
     */
    public static void checkBudgets(long bytes, DataType dataType, long[] shape, Category category, String label) {
        MemoryMeter meter = MemoryMeter.current();
        DeviceBudget budget = DeviceBudget.active();
        if (meter.wouldExceedBudget(bytes) || budget != null && budget.wouldExceed(bytes)) {
            throw outOfMemory(bytes, dataType, shape, category, label, null);
        }
    }

    /**
     * Counts an array that ND4J already made (whose bytes the backend has already counted). Call
     * under {@link #LOCK}, in the same hold as the allocation, so no reading falls between them.
     */
    public static Storage register(INDArray array, long bytes, Category category, String label) {
        synchronized (LOCK) {
            MemoryMeter meter = MemoryMeter.current();
            Storage storage = new Storage(array, bytes, category, meter, label);
            meter.recordAllocate(storage);
            Listeners.allocated(storage);
            if (category.keptAcrossSteps()) {
                Construction.record(storage);
            } else {
                Scope scope = Scope.current();
                if (scope != null) scope.adopt(storage);
            }
            return storage;
        }
    }

    /** Whether an exception from ND4J is its refusal of an allocation past the device limit. */
    public static boolean isBackendOutOfMemory(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("exceeds") && m.contains("device limits")
                    || m.contains("calculateOutputShape failed") || m.contains("Allocation failed"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Builds the course's out-of-memory error for a refused request, and notes it on the timeline.
     * The binding limit is named: the calling thread's meter budget (a simulated rank's "GPU") if
     * that is what the request passes, else the process-wide device budget.
     *
     * @param dataType null when the request is native scratch memory of unknown size
     */
    public static DeviceOutOfMemoryException outOfMemory(long bytes, DataType dataType, long[] shape, Category category,
                                                         String label, Throwable cause) {
        MemoryMeter meter = MemoryMeter.current();
        meter.recordOutOfMemory(category, bytes, label);
        DeviceBudget budget = DeviceBudget.active();
        if (meter.budgetBytes() > 0 && (budget == null || meter.wouldExceedBudget(bytes))) {
            return new DeviceOutOfMemoryException(bytes, dataType, shape, category, label, "'" + meter.name() + "'",
                    meter.budgetBytes(), meter.liveBytes(), meter.liveByCategory(), cause);
        }
        long budgetBytes = budget == null ? Device.limitBytes() : budget.budgetBytes();
        long inUse = budget == null ? Device.allocatedBytes() : budget.inUseBytes();
        return new DeviceOutOfMemoryException(bytes, dataType, shape, category, label, null, budgetBytes, inUse,
                meter.liveByCategory(), cause);
    }
}
