package org.memlean.tensor;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * Storage dtype versus compute dtype. ND4J's CPU kernels accumulate HALF and BFLOAT16 in those
 * types (a 4096-long dot product of ones gives 2048 in half, 256 in bf16) and run them through a
 * scalar loop rather than BLAS (libnd4j's {@code MmulHelper::mmulMxM} calls BLAS only for FLOAT and
 * DOUBLE), so every op computes in FLOAT and stores its result in the tensor's own
 * dtype. DOUBLE stays DOUBLE (gradient checks). The memory a low precision saves is storage memory,
 * which is where the bytes are; on a GPU the same split is what tensor cores do.
 */
public final class Compute {
    private Compute() {}

    /** The dtype arithmetic runs in for tensors stored as {@code storage}. */
    public static DataType of(DataType storage) {
        return storage == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
    }

    /** Whether the framework accepts {@code dataType} as a tensor's storage. */
    public static boolean isFloatingStorage(DataType dataType) {
        return dataType == DataType.FLOAT || dataType == DataType.HALF || dataType == DataType.BFLOAT16
                || dataType == DataType.DOUBLE;
    }

    /** Result dtype of an op on two floating dtypes: the wider one, as PyTorch promotes. */
    public static DataType promote(DataType a, DataType b) {
        if (a == b) return a;
        if (a == DataType.DOUBLE || b == DataType.DOUBLE) return DataType.DOUBLE;
        if (a == DataType.FLOAT || b == DataType.FLOAT) return DataType.FLOAT;
        return DataType.FLOAT; // HALF with BFLOAT16: neither holds the other
    }
}
