package org.memlean.tensor;

import org.memlean.memory.DeviceOutOfMemoryException;
import org.memlean.memory.Memory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.BaseScalarOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Calls into libnd4j that write into buffers the framework allocated, so that the backend never
 * allocates an output the ledger does not see. (Convenience calls such as {@code x.sum(1)} or
 * {@code x.mul(2.0)} allocate small hidden arrays — a dimension list, a scalar — left to the GC.)
 */
final class Kernels {
    private Kernels() {}

    /** A libnd4j custom op by name, inputs and outputs given, with integer/boolean/float arguments. */
    static void custom(String name, INDArray[] inputs, INDArray[] outputs, int[] ints, boolean[] bools, double[] floats) {
        DynamicCustomOp.DynamicCustomOpsBuilder b = DynamicCustomOp.builder(name).addInputs(inputs).addOutputs(outputs);
        if (ints != null && ints.length > 0) b.addIntegerArguments(ints);
        if (bools != null && bools.length > 0) b.addBooleanArguments(bools);
        if (floats != null && floats.length > 0) b.addFloatingPointArguments(toDoubles(floats));
        run(name, () -> Nd4j.exec(b.build()));
    }

    static void custom(String name, INDArray[] inputs, INDArray output, int... ints) {
        custom(name, inputs, new INDArray[] {output}, ints, null, null);
    }

    /**
     * A legacy scalar op. Its constructor allocates a one-element array for the scalar (so it is
     * built inside the budget guard), which we close at once so the counter returns to what the
     * ledger says.
     */
    static void scalar(java.util.function.Supplier<BaseScalarOp> make) {
        Runnable call = () -> {
            BaseScalarOp op = null;
            try {
                op = make.get();
                Nd4j.exec(op);
            } finally {
                INDArray s = op == null ? null : op.scalar();
                if (s != null) s.close();
            }
        };
        run("scalar", call);
    }

    static void run(String name, Runnable call) {
        org.memlean.memory.Trace trace = org.memlean.memory.Trace.active();
        if (trace != null) trace.kernel(name, call);
        try {
            call.run();
        } catch (DeviceOutOfMemoryException e) {
            throw e;
        } catch (RuntimeException e) {
            if (Memory.isBackendOutOfMemory(e)) {
                throw Memory.outOfMemory(0, null, null, org.memlean.memory.Category.TEMPORARY,
                        "native scratch memory of op '" + name + "'", e);
            }
            throw e;
        }
    }

    private static Double[] toDoubles(double[] v) {
        Double[] out = new Double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }
}
