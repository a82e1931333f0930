package org.memlean.ch09;

import java.util.List;
import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.Storage;
import org.memlean.optim.AdamSettings;
import org.memlean.optim.AdamW;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;

/**
 * AdamW whose parameter update is out of place — {@code p = p - lr * update}, not {@code p.sub_(…)}:
 * each parameter's new value is written to a new buffer, and the parameter then points to it (the old
 * one is freed). The arithmetic is {@link AdamW}'s, bit for bit; the cost is one allocation the size
 * of each parameter per step, and the largest parameter held twice for a moment.
 */
final class OutOfPlaceAdamW extends Optimizer {
    private final AdamSettings settings;

    public OutOfPlaceAdamW(List<Tensor> parameters, AdamSettings settings) {
        super(parameters);
        this.settings = settings;
    }

    @Override
    protected void initState(Tensor p) {
        addState(p, "exp_avg", p.dtype(), p.shape());
        addState(p, "exp_avg_sq", p.dtype(), p.shape());
    }

    @Override
    protected List<String> scratch(Tensor p) {
        return List.of("update");
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        Storage fresh = Memory.allocate(p.dtype(), p.shape(), Category.PARAMETER, p.name() + " (updated)");
        Kernels.assign(fresh.array(), p.array());
        AdamW.apply(fresh.array(), g.array(), state(p, "exp_avg").array(), state(p, "exp_avg_sq").array(), w.get("update"),
                settings, steps);
        p.releaseStorage();                          // the old value
        p.attachStorage(fresh);
    }
}
