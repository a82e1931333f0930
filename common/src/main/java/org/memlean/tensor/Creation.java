package org.memlean.tensor;

import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.nd4j.linalg.api.buffer.DataType;

/** Tensors filled with a constant; step-owned (TEMPORARY) unless a category is given. */
public final class Creation {
    private Creation() {}

    public static Tensor full(DataType dataType, double value, long... shape) {
        return full(dataType, value, Category.TEMPORARY, shape);
    }

    public static Tensor full(DataType dataType, double value, Category category, long... shape) {
        Tensor t = Tensor.of(Memory.allocate(dataType, shape, category, "full"));
        Kernels.fill(t.array(), value); // assign(Number) would allocate a hidden scalar array
        return t;
    }

    public static Tensor onesLike(Tensor t) {
        return full(t.dtype(), 1, t.shape());
    }

    /** A rank-0 tensor. */
    public static Tensor scalar(DataType dataType, double value) {
        return full(dataType, value, new long[0]);
    }
}
