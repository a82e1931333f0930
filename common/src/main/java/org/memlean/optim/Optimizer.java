package org.memlean.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.Storage;
import org.memlean.tensor.Compute;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Updates parameters from their gradients. Each parameter's state — any number of named tensors of
 * any shape and dtype: moments, factored statistics, 8-bit codes and their scales, a compensation
 * buffer — is created at its first step, as PyTorch does, and counted as OPTIMIZER_STATE.
 *
 * <p>A step is all or nothing. It first creates any missing state and reserves the scratch memory
 * every update will use (a {@link Workspace}, TEMPORARY); only then does it change a parameter. A
 * device budget reached while reserving leaves parameters, state and memory exactly as they were.
 *
 * <p>Subclasses say what they keep ({@link #initState}), how much scratch an update needs
 * ({@link #workspaceSlots}) and how they update ({@link #update}).
 */
public abstract class Optimizer implements AutoCloseable {
    private final List<Tensor> parameters;
    private final Map<Tensor, Map<String, Tensor>> state = new IdentityHashMap<>();
    protected long steps;
    private boolean closed;

    /** {@code parameters}: the tensors to update, each once (a shared parameter listed twice counts once). */
    protected Optimizer(List<Tensor> parameters) {
        if (parameters.isEmpty()) throw new IllegalArgumentException("an optimizer needs at least one parameter");
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Tensor> unique = new ArrayList<>();
        for (Tensor p : parameters) {
            if (p == null) throw new IllegalArgumentException("a parameter in the optimizer's list is null");
            if (seen.add(p)) unique.add(p);
        }
        this.parameters = List.copyOf(unique);
    }

    /** The parameters this optimizer updates, each once. */
    public final List<Tensor> parameters() {
        return parameters;
    }

    /** One update of every parameter that has a gradient: all of them, or (on a failure to reserve memory) none. */
    public final void step() {
        if (closed) throw new IllegalStateException(getClass().getSimpleName() + " was closed; its state is gone");
        List<Tensor> todo = new ArrayList<>();
        for (Tensor p : parameters) if (p.grad() != null) todo.add(p);
        List<Tensor> fresh = new ArrayList<>();
        Workspace workspace;
        try {
            for (Tensor p : todo) {
                if (state.containsKey(p)) continue;
                state.put(p, new LinkedHashMap<>());
                fresh.add(p);
                initState(p);
            }
            workspace = Workspace.reserve(todo, this);
        } catch (RuntimeException e) {
            for (Tensor p : fresh) freeState(p);    // as before the step: nothing created, nothing changed
            throw e;
        }
        try (workspace) {
            steps++;
            for (Tensor p : todo) {
                workspace.bind(p);
                update(p, p.grad(), workspace);
                p.storage().bumpVersion();
            }
        }
    }

    /** Creates {@code p}'s state with {@link #addState} (called once per parameter, before its first update). */
    protected void initState(Tensor p) {}

    /**
     * How many scratch buffers of {@code p}'s size (in its compute dtype) one update of {@code p}
     * uses. The step reserves them once, for the largest parameter, before changing anything.
     */
    protected int workspaceSlots(Tensor p) {
        return 0;
    }

    /** Applies one update to {@code p} given its gradient {@code g}, using only state and the workspace. */
    protected abstract void update(Tensor p, Tensor g, Workspace workspace);

    /** A new zero-filled state tensor of {@code p}, counted as OPTIMIZER_STATE. */
    protected final Tensor addState(Tensor p, String name, DataType dataType, long... shape) {
        Map<String, Tensor> s = state.get(p);
        if (s == null) throw new IllegalStateException("addState outside initState of " + p);
        if (s.containsKey(name)) throw new IllegalArgumentException("state '" + name + "' already exists");
        Tensor t = Tensor.zeros(dataType, Category.OPTIMIZER_STATE, shape).named(name);
        s.put(name, t);
        return t;
    }

    /** The state tensor {@code name} of {@code p}. */
    protected final Tensor state(Tensor p, String name) {
        Map<String, Tensor> s = state.get(p);
        Tensor t = s == null ? null : s.get(name);
        if (t == null) throw new IllegalStateException("no state '" + name + "' for " + p);
        return t;
    }

    /** {@code p}'s state by name (empty before its first step). */
    public final Map<String, Tensor> stateOf(Tensor p) {
        Map<String, Tensor> s = state.get(p);
        return s == null ? Map.of() : Collections.unmodifiableMap(s);
    }

    /** Clears every gradient: frees them ({@code setToNone}, PyTorch's default) or zeroes them in place. */
    public final void zeroGrad(boolean setToNone) {
        for (Tensor p : parameters) p.zeroGrad(setToNone);
    }

    /** Bytes of optimizer state held now. */
    public final long stateBytes() {
        long bytes = 0;
        for (Map<String, Tensor> s : state.values()) for (Tensor t : s.values()) bytes += t.bytes();
        return bytes;
    }

    /** Steps taken. */
    public final long steps() {
        return steps;
    }

    private void freeState(Tensor p) {
        Map<String, Tensor> s = state.remove(p);
        if (s != null) for (Tensor t : s.values()) t.storage().free();
    }

    /** Frees the optimizer state. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (Tensor p : new ArrayList<>(state.keySet())) freeState(p);
    }

    /**
     * Scratch memory reserved for one step: per compute dtype, one TEMPORARY buffer holding
     * {@code slots} arrays of the largest parameter's size. An update reads its slots as views
     * shaped like the parameter it is updating; nothing is allocated while parameters change.
     */
    public static final class Workspace implements AutoCloseable {
        private final Map<DataType, Storage> buffers = new IdentityHashMap<>();
        private Tensor bound;

        private Workspace() {}

        static Workspace reserve(List<Tensor> parameters, Optimizer optimizer) {
            Map<DataType, Long> elements = new IdentityHashMap<>();
            for (Tensor p : parameters) {
                long need = Math.multiplyExact((long) optimizer.workspaceSlots(p), p.length());
                elements.merge(Compute.of(p.dtype()), need, Math::max);
            }
            Workspace w = new Workspace();
            try {
                for (Map.Entry<DataType, Long> e : elements.entrySet()) {
                    if (e.getValue() == 0) continue;
                    w.buffers.put(e.getKey(), Memory.allocate(e.getKey(), new long[] {e.getValue()}, Category.TEMPORARY,
                            optimizer.getClass().getSimpleName() + " workspace"));
                }
            } catch (RuntimeException e) {
                w.close();
                throw e;
            }
            return w;
        }

        void bind(Tensor p) {
            bound = p;
        }

        /** The compute dtype of the parameter being updated (FLOAT, or DOUBLE for DOUBLE parameters). */
        public DataType computeType() {
            return Compute.of(bound.dtype());
        }

        /** Slot {@code i}: a scratch array shaped like the parameter being updated. */
        public INDArray slot(int i) {
            return slot(i, bound.shape());
        }

        /** Slot {@code i} viewed as {@code shape} (at most the parameter's size): for smaller scratch. */
        public INDArray slot(int i, long... shape) {
            return view(computeType(), i, shape);
        }

        /**
         * FLOAT slot {@code i}'s memory itself, for code that must work on the bits of each value (as
         * stochastic rounding does): a view of the native buffer — reading and writing it allocates
         * nothing. The host must hold the current values ({@code ensureLocation}); written values are
         * marked as the host's, so a GPU backend copies them back before the next kernel.
         */
        public java.nio.FloatBuffer hostFloats(int i) {
            INDArray view = slot(i);                                   // checks the slot exists
            if (view.dataType() != DataType.FLOAT) {
                throw new IllegalStateException("hostFloats is for FLOAT parameters' workspaces, not " + view.dataType());
            }
            org.nd4j.linalg.factory.Nd4j.getAffinityManager().ensureLocation(view,
                    org.nd4j.linalg.api.concurrency.AffinityManager.Location.HOST);
            java.nio.FloatBuffer all = buffers.get(DataType.FLOAT).array().data().asNioFloat();
            int n = (int) bound.length();
            return all.position(i * n).limit(i * n + n).slice();
        }

        /** Marks FLOAT slot {@code i} as written on the host (after {@link #hostFloats}). */
        public void hostWritten(int i) {
            org.nd4j.linalg.factory.Nd4j.getAffinityManager().tagLocation(slot(i),
                    org.nd4j.linalg.api.concurrency.AffinityManager.Location.HOST);
        }

        private INDArray view(DataType type, int i, long... shape) {
            long n = bound.length();
            long want = 1;
            for (long d : shape) want *= d;
            Storage buffer = buffers.get(type);
            if (want > n || buffer == null || (i + 1) * n > buffer.array().length()) {
                throw new IllegalStateException("workspace slot " + i + " of " + java.util.Arrays.toString(shape)
                        + " for " + bound + ": the optimizer reserved fewer slots than its update uses");
            }
            INDArray flat = buffer.array().get(NDArrayIndex.interval(i * n, i * n + want));
            return flat.reshape('c', shape);
        }

        /** {@code t}'s values in the compute dtype: its own array, or a copy in slot {@code i}. */
        public INDArray in(int i, Tensor t) {
            if (t.dtype() == computeType()) return t.array();
            INDArray copy = slot(i, t.shape());
            Kernels.assign(copy, t.array());
            return copy;
        }

        /** Stores {@code values} into {@code t} (rounding to its dtype) unless they are its own array. */
        public void out(Tensor t, INDArray values) {
            if (values != t.array()) Kernels.assign(t.array(), values);
        }

        @Override
        public void close() {
            for (Storage s : buffers.values()) s.free();
            buffers.clear();
        }
    }
}
