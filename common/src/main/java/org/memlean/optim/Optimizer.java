package org.memlean.optim;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.memlean.memory.Category;
import org.memlean.tensor.Tensor;

/**
 * Updates parameters from their gradients. State (momentum, moments) is allocated lazily at the
 * first step — as PyTorch does — and counted as OPTIMIZER_STATE.
 */
public abstract class Optimizer {
    protected final List<Tensor> parameters;
    private final Map<Tensor, Tensor[]> state = new IdentityHashMap<>();
    protected long steps;

    protected Optimizer(List<Tensor> parameters) {
        if (parameters.isEmpty()) throw new IllegalArgumentException("an optimizer needs at least one parameter");
        this.parameters = new ArrayList<>(parameters);
    }

    /** One update of every parameter that has a gradient. */
    public final void step() {
        steps++;
        for (Tensor p : parameters) {
            if (p.grad() == null) continue;
            update(p, p.grad());
            p.storage().bumpVersion();
        }
    }

    /** Applies one update to {@code p} given its gradient {@code g}. */
    protected abstract void update(Tensor p, Tensor g);

    /** The state tensors of {@code p}, created (zeroed, OPTIMIZER_STATE) on first use. */
    protected final Tensor[] state(Tensor p, int count) {
        return state.computeIfAbsent(p, k -> {
            Tensor[] s = new Tensor[count];
            for (int i = 0; i < count; i++) s[i] = Tensor.zeros(p.dtype(), Category.OPTIMIZER_STATE, p.shape());
            return s;
        });
    }

    /** Clears every gradient: frees them ({@code setToNone}, PyTorch's default) or zeroes them in place. */
    public final void zeroGrad(boolean setToNone) {
        for (Tensor p : parameters) p.zeroGrad(setToNone);
    }

    /** Bytes of optimizer state held now. */
    public final long stateBytes() {
        long bytes = 0;
        for (Tensor[] s : state.values()) for (Tensor t : s) bytes += t.bytes();
        return bytes;
    }

    /** Steps taken. */
    public final long steps() {
        return steps;
    }

    /** Frees the optimizer state. */
    public final void close() {
        for (Tensor[] s : state.values()) for (Tensor t : s) t.storage().free();
        state.clear();
    }
}
