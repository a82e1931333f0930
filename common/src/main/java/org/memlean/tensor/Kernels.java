package org.memlean.tensor;

import org.memlean.memory.Category;
import org.memlean.memory.DeviceOutOfMemoryException;
import org.memlean.memory.Listeners;
import org.memlean.memory.Memory;
import org.memlean.memory.Storage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseScalarOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Calls into libnd4j that write into buffers the framework allocated, so that the backend never
 * allocates an output the ledger does not see. (Convenience calls such as {@code x.sum(1)} or
 * {@code x.mul(2.0)} allocate small hidden arrays — a dimension list, a scalar — left to the GC.)
 * Every call is announced to the thread's {@link org.memlean.memory.Listener}s first.
 */
final class Kernels {
    private Kernels() {}

    /** A libnd4j custom op by name, inputs and outputs given, with integer/boolean/float arguments. */
    static void custom(String name, INDArray[] inputs, INDArray[] outputs, int[] ints, boolean[] bools, double[] floats) {
        DynamicCustomOp.DynamicCustomOpsBuilder b = DynamicCustomOp.builder(name).addInputs(inputs).addOutputs(outputs);
        if (ints != null && ints.length > 0) b.addIntegerArguments(ints);
        if (bools != null && bools.length > 0) b.addBooleanArguments(bools);
        if (floats != null && floats.length > 0) b.addFloatingPointArguments(toDoubles(floats));
        run(name, 0, () -> Nd4j.exec(b.build()));
    }

    static void custom(String name, INDArray[] inputs, INDArray output, int... ints) {
        custom(name, inputs, new INDArray[] {output}, ints, null, null);
    }

    /**
     * A legacy scalar op. Its constructor allocates a one-element array for the scalar value; that
     * array is counted like every other buffer — checked against the budgets, entered in the ledger
     * as a TEMPORARY "scalar", released right after the op — so a budget equal to a step's measured
     * peak is enough, and the ledger matches the backend at every event.
     */
    static void scalar(java.util.function.Supplier<BaseScalarOp> make, DataType scalarType) {
        Runnable call = () -> {
            long bytes = scalarType.width();
            Memory.checkBudgets(bytes, scalarType, new long[0], Category.TEMPORARY, "scalar");
            Storage scalar = null;
            try {
                BaseScalarOp op;
                synchronized (Memory.LOCK) {
                    op = make.get();
                    if (op.scalar() != null) scalar = Memory.register(op.scalar(), bytes, Category.TEMPORARY, "scalar");
                }
                Nd4j.exec(op);
            } finally {
                if (scalar != null) scalar.free();
            }
        };
        run("scalar", 0, call);
    }

    /** Runs {@code call}, announced to the listeners; a backend refusal becomes the course's error. */
    static void run(String name, long flops, Runnable call) {
        Listeners.kernel(name, flops, call);
        Memory.kernelStarting();
        try {
            call.run();
        } catch (DeviceOutOfMemoryException e) {
            throw e;
        } catch (RuntimeException e) {
            if (Memory.isBackendOutOfMemory(e)) {
                throw Memory.outOfMemory(0, null, null, Category.TEMPORARY, "native scratch memory of op '" + name + "'", e);
            }
            throw e;
        } finally {
            Memory.kernelFinished();
        }
    }

    private static Double[] toDoubles(double[] v) {
        Double[] out = new Double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }
}
