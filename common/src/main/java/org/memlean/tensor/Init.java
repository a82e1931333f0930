package org.memlean.tensor;

import org.memlean.memory.Category;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Parameter initialisation: each returns a leaf that requires grad, counted as PARAMETER. */
public final class Init {
    private Init() {}

    /** Normal(0, std²) values, drawn in FLOAT from the framework's generator and stored as {@code dataType}. */
    public static Tensor normal(DataType dataType, double std, long... shape) {
        Tensor t = Tensor.zeros(dataType, Category.PARAMETER, shape);
        if (dataType == Compute.of(dataType)) {
            Rng.normal(t.array(), std);
        } else {
            try (OpScope op = new OpScope("init")) {
                INDArray f = op.temp(DataType.FLOAT, shape);
                Rng.normal(f, std);
                Kernels.assign(t.array(), f);
            }
        }
        return t.requiresGrad(true);
    }

    public static Tensor zeros(DataType dataType, long... shape) {
        return Tensor.zeros(dataType, Category.PARAMETER, shape).requiresGrad(true);
    }

    public static Tensor ones(DataType dataType, long... shape) {
        return Creation.full(dataType, 1, Category.PARAMETER, shape).requiresGrad(true);
    }
}
