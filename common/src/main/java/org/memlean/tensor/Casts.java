package org.memlean.tensor;

import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.Storage;
import org.nd4j.linalg.api.buffer.DataType;

/** Conversion between storage dtypes (FLOAT, HALF, BFLOAT16, DOUBLE). */
final class Casts {
    private Casts() {}

    /** {@code x} stored as {@code dataType}; the gradient flows back cast to {@code x}'s dtype. */
    public static Tensor cast(Tensor x, DataType dataType) {
        if (!Compute.isFloatingStorage(dataType)) {
            throw new IllegalArgumentException("cast to " + dataType + ": tensors are stored as FLOAT, HALF, "
                    + "BFLOAT16 or DOUBLE");
        }
        Tensor out;
        if (x.dtype() == dataType) {
            out = Shapes.identity(x);
            return out;
        }
        Storage s = Memory.allocate(dataType, x.shape(),
                Category.TEMPORARY, "cast");
        try {
            Kernels.assign(s.array(), x.array()); // one conversion, straight into the new storage dtype
        } catch (RuntimeException e) {
            s.free();
            throw e;
        }
        out = Tensor.of(s);
        if (Autograd.needsGrad(x)) new CastBackward(x.dtype()).attach(out, x);
        return out;
    }

    static Tensor castAndRelease(Tensor x, DataType dataType) {
        try (GradMode.Guard ignored = GradMode.noGrad()) {
            Tensor out = cast(x, dataType);
            x.release();
            return out;
        }
    }

    static final class CastBackward extends AutogradFunction {
        private final DataType inputType;

        CastBackward(DataType inputType) {
            this.inputType = inputType;
        }

        @Override
        public String name() {
            return "Cast";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            return new Tensor[] {cast(g, inputType)};
        }
    }
}
