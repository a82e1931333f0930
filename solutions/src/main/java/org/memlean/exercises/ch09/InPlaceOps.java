package org.memlean.exercises.ch09;

import org.memlean.tensor.AutogradFunction;
import org.memlean.tensor.InPlace;
import org.memlean.tensor.Masks;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.OpScope;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Chapter 9 exercises, solved. */
public final class InPlaceOps {
    private InPlaceOps() {}

    public static Tensor relu(Tensor x) {
        boolean recording = InPlace.start("myRelu_", x);
        Kernels.clip(x.array(), 0, Float.MAX_VALUE, x.array());
        ReluBackward f = recording ? new ReluBackward() : null;
        InPlace.record("myRelu_", x, f);
        if (f != null) f.keep(x);                   // the output, saved after the write
        return x;
    }

    static final class ReluBackward extends AutogradFunction {
        void keep(Tensor output) {
            save(output);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            Tensor y = saved(0);
            try (OpScope op = new OpScope("myReluBackward")) {
                INDArray o = op.out(g.dtype(), g.shape());
                Kernels.sign(y.array(), o);                 // 1 where the output is positive, 0 where it is 0
                Kernels.mul(o, g.array(), o);
                return new Tensor[] {op.result(o)};
            }
        }
    }

    /** The dropout is the culprit: softmax saved the probabilities it overwrote. It goes out of place. */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, double dropout) {
        Tensor scores = LinearAlgebra.matmul(q, k, false, true);
        InPlace.scale(scores, 1.0 / Math.sqrt(q.size(3)));
        InPlace.softmax(scores);
        Tensor dropped = Masks.dropout(scores, dropout, true);
        scores.release();
        Tensor y = dropped.matmul(v);
        dropped.release();
        return y;
    }
}
