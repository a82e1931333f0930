package org.memlean.memory;

import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The one place the framework allocates native memory. Each buffer is checked against the device
 * budget, counted in the meter of the calling thread, and given to the innermost scope unless its
 * category is kept across steps.
 */
public final class Memory {
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
     * Counts an array made by {@code make}: budget check first, then allocation, then the ledger.
     * The backend's own refusal (the budget reached by something the check could not see) becomes
     * the same exception.
     */
    public static Storage track(DataType dataType, long[] shape, Category category, String label,
                                Supplier<INDArray> make) {
        long bytes = Storage.bytesOf(dataType, shape);
        DeviceBudget budget = DeviceBudget.active();
        if (budget != null && budget.wouldExceed(bytes)) {
            throw outOfMemory(bytes, dataType, shape, category, label, null);
        }
        INDArray array;
        try {
            array = make.get();
        } catch (RuntimeException e) {
            if (isBackendOutOfMemory(e)) throw outOfMemory(bytes, dataType, shape, category, label, e);
            throw e;
        }
        return register(array, bytes, category, label);
    }

    /** Counts an array that ND4J already made (whose bytes the backend has already counted). */
    public static Storage register(INDArray array, long bytes, Category category, String label) {
        MemoryMeter meter = MemoryMeter.current();
        Storage storage = new Storage(array, bytes, category, meter, label);
        meter.recordAllocate(storage);
        Trace trace = Trace.active();
        if (trace != null) trace.allocated(storage, array.dataType(), array.shape());
        if (category.keptAcrossSteps()) Construction.record(storage);
        if (!category.keptAcrossSteps()) {
            Scope scope = Scope.current();
            if (scope != null) scope.adopt(storage);
        }
        return storage;
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

    /** Builds the course's out-of-memory error for a refused request, and notes it on the timeline. */
    public static DeviceOutOfMemoryException outOfMemory(long bytes, DataType dataType, long[] shape, Category category,
                                                         String label, Throwable cause) {
        MemoryMeter meter = MemoryMeter.current();
        meter.recordOutOfMemory(category, bytes, label);
        DeviceBudget budget = DeviceBudget.active();
        long budgetBytes = budget == null ? Device.limitBytes() : budget.budgetBytes();
        long inUse = budget == null ? Device.allocatedBytes() : budget.inUseBytes();
        return new DeviceOutOfMemoryException(bytes, dataType, shape, category, label, budgetBytes, inUse,
                meter.liveByCategory(), cause);
    }
}
