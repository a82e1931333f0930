package org.memlean.exercises.ch07;

import java.util.ArrayList;
import java.util.List;
import org.memlean.dist.Collective;
import org.memlean.memory.Category;
import org.memlean.optim.AdamSettings;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Solution of Task 7.1. */
public final class ShardedAdamW implements AutoCloseable {
    private final List<Tensor> parameters;
    private final AdamSettings settings;
    private final Collective comm;
    private final List<Tensor[]> state = new ArrayList<>();    // per parameter: m and v of my chunk (s each)
    private long steps;

    public ShardedAdamW(List<Tensor> parameters, AdamSettings settings, Collective comm) {
        this.parameters = List.copyOf(parameters);
        this.settings = settings;
        this.comm = comm;
    }

    public void step() {
        if (state.isEmpty()) {                                      // the moments of my chunks: 1/N of AdamW's
            for (Tensor p : parameters) {
                long s = Collective.chunk(p.length(), comm.size());
                state.add(new Tensor[] {Tensor.zeros(DataType.FLOAT, Category.OPTIMIZER_STATE, s),
                        Tensor.zeros(DataType.FLOAT, Category.OPTIMIZER_STATE, s)});
            }
        }
        steps++;
        for (int i = 0; i < parameters.size(); i++) {
            Tensor p = parameters.get(i);
            long n = p.length();
            long s = Collective.chunk(n, comm.size());
            long start = Math.min(comm.rank() * s, n);
            long length = Math.min(start + s, n) - start;
            INDArray grad = chunk(p.grad().array(), start, length);
            comm.reduceScatter(p.grad().array(), grad);                         // in place: my chunk of the sum
            Kernels.scale(grad, 1.0 / comm.size(), grad);                       // the mean
            INDArray param = chunk(p.array(), start, length);
            if (length > 0) {
                Tensor scratch = Tensor.zeros(DataType.FLOAT, Category.TEMPORARY, length);
                AdamW.apply(param, grad, head(state.get(i)[0], length), head(state.get(i)[1], length), scratch.array(),
                        settings, steps);
                scratch.release();
            }
            comm.allGather(param, p.array());                                   // every rank: the whole parameter again
            p.storage().bumpVersion();
            p.zeroGrad(true);
        }
    }

    /** Elements [start, start + length) of a whole array, flattened: a view. */
    private static INDArray chunk(INDArray whole, long start, long length) {
        return whole.reshape('c', new long[] {whole.length()}).get(NDArrayIndex.interval(start, start + length));
    }

    private static INDArray head(Tensor t, long length) {
        return t.array().get(NDArrayIndex.interval(0, length));
    }

    @Override
    public void close() {
        for (Tensor[] t : state) for (Tensor x : t) x.storage().free();
        state.clear();
    }
}
