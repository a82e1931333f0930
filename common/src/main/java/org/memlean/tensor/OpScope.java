package org.memlean.tensor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.Storage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The bookkeeping of one op's forward or backward kernel: compute-dtype copies of low-precision
 * inputs, scratch buffers, and the output. Everything but the returned result is freed when it
 * closes — also when the op fails half-way, so a failed op leaves nothing behind.
 */
public final class OpScope implements AutoCloseable {
    private final String op;
    private final List<Storage> temporaries = new ArrayList<>();
    private final Map<INDArray, Storage> directOutputs = new IdentityHashMap<>();
    private final Map<INDArray, DataType> castOutputs = new IdentityHashMap<>();

    public OpScope(String op) {
        this.op = op;
    }

    /** {@code t}'s values in its compute dtype: the array itself, or a TEMPORARY FLOAT copy. */
    public INDArray in(Tensor t) {
        return in(t, Compute.of(t.dtype()));
    }

    /** {@code t}'s values as {@code compute}: the array itself, or a TEMPORARY copy. */
    public INDArray in(Tensor t, DataType compute) {
        INDArray a = t.array();
        if (a.dataType() == compute) return a;
        INDArray copy = temp(compute, a.shape());
        Kernels.assign(copy, a);
        return copy;
    }

    /** A scratch buffer, freed when the op ends. */
    public INDArray temp(DataType dataType, long... shape) {
        Storage s = Memory.allocate(dataType, shape, Category.TEMPORARY, op + ":scratch");
        temporaries.add(s);
        return s.array();
    }

    /**
     * The buffer to write a result into, in the compute dtype of {@code storage}; {@link #result}
     * turns it into a tensor stored as {@code storage} (with no copy when the two agree).
     */
    public INDArray out(DataType storage, long... shape) {
        DataType compute = Compute.of(storage);
        if (compute == storage) {
            Storage s = Memory.allocate(storage, shape, Category.TEMPORARY, op);
            directOutputs.put(s.array(), s);
            return s.array();
        }
        INDArray scratch = temp(compute, shape);
        castOutputs.put(scratch, storage);
        return scratch;
    }


    /** The tensor holding {@code out}'s values in their storage dtype. */
    public Tensor result(INDArray out) {
        Storage direct = directOutputs.remove(out);
        if (direct != null) return Tensor.of(direct);
        DataType storage = castOutputs.remove(out);
        if (storage == null) throw new IllegalStateException(op + ": result() of a buffer out() did not make");
        Storage s = Memory.allocate(storage, out.shape(), Category.TEMPORARY, op);
        try {
            Kernels.assign(s.array(), out);
        } catch (RuntimeException e) {
            s.free();
            throw e;
        }
        return Tensor.of(s);
    }

    @Override
    public void close() {
        for (int i = temporaries.size() - 1; i >= 0; i--) temporaries.get(i).free();
        for (Storage unused : directOutputs.values()) unused.free();
    }
}
