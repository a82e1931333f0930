package org.memlean.exercises.ch06;

import org.memlean.nn.Layer;
import org.memlean.nn.Linear;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Init;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Solution of Task 6.1. */
public final class MyLoraLinear extends Layer {
    private final Tensor a;      // (in, r)
    private final Tensor b;      // (r, out)
    private final double scale;
    private boolean merged;

    public MyLoraLinear(Linear base, int rank, double alpha) {
        child("base", base);
        for (Tensor p : base.parameters()) p.requiresGrad(false);    // frozen: no gradient, and no input kept for one
        long in = base.weight().size(0);
        long out = base.weight().size(1);
        this.a = parameter("loraA", Init.normal(DataType.FLOAT, 1 / Math.sqrt(in), in, rank));
        this.b = parameter("loraB", Init.zeros(DataType.FLOAT, rank, out));
        this.scale = alpha / rank;
    }

    public Tensor a() {
        return a;
    }

    public Tensor b() {
        return b;
    }

    @Override
    public Tensor forward(Tensor x) {                                           // x: (…, in)
        Tensor y = part("base").forward(x);                                     // x·W + b
        if (merged) return y;
        return LinearAlgebra.matmul(x, a, false, false)                          // (…, r): keeps x, for A's gradient
                .then(xa -> LinearAlgebra.matmul(xa, b, false, false))           // (…, out): keeps x·A, for B's
                .then(xab -> xab.mul(scale))
                .then(y::add)
                .then(sum -> { y.release(); return sum; });
    }

    public void merge(boolean into) {
        if (merged == into) return;
        Tensor w = ((Linear) part("base")).weight();
        try (GradMode.Guard off = GradMode.noGrad()) {
            LinearAlgebra.matmul(a, b, false, false).then(ab -> {                 // (in, out), only while merging
                Kernels.scale(ab.array(), into ? scale : -scale, ab.array());
                Kernels.add(w.array(), ab.array(), w.array());
                return null;
            });
        }
        w.storage().bumpVersion();
        merged = into;
    }
}
