package org.memlean.exercises.ch03;

import java.util.List;
import org.memlean.tensor.OpScope;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Solutions of the chapter 3 exercises. */
public final class Scaling {
    private Scaling() {}

    public record State(double scale, int cleanSteps) {}

    public static State update(State state, boolean overflow, double growth, double backoff, int interval) {
        if (overflow) return new State(state.scale() * backoff, 0);
        int clean = state.cleanSteps() + 1;
        return clean >= interval ? new State(state.scale() * growth, 0) : new State(state.scale(), clean);
    }

    public static boolean unscaleAndCheck(List<Tensor> parameters, double scale) {
        boolean overflow = false;
        for (Tensor p : parameters) {
            Tensor g = p.grad();
            if (g == null) continue;
            Kernels.scale(g.array(), 1 / scale, g.array());
            try (OpScope op = new OpScope("check")) {
                INDArray total = op.temp(DataType.FLOAT);
                Kernels.sum(g.array(), false, new int[0], total);
                overflow |= !Double.isFinite(total.getDouble(0));
            }
        }
        return overflow;
    }
}
