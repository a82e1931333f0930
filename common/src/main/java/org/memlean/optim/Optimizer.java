package org.memlean.optim;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
 * <p>Subclasses say what they keep ({@link #initState}), the scratch an update needs, by name
 * ({@link #scratch}), and how they update ({@link #update}).
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
                workspace.bind(p, scratch(p));
                update(p, p.grad(), workspace);
                p.storage().bumpVersion();
            }
        }
    }

    /** Creates {@code p}'s state with {@link #addState} (called once per parameter, before its first update). */
    protected void initState(Tensor p) {}

    /**
     * The names of the scratch buffers of {@code p}'s size (in its compute dtype) one update of
     * {@code p} uses. The step reserves them once, for the largest parameter, before changing anything.
     */
    protected List<String> scratch(Tensor p) {
        return List.of();
    }

    /** {@code names}, and — for a parameter stored below its compute dtype — a compute copy of each of {@code copies}. */
    protected static List<String> scratch(Tensor p, List<String> names, String... copies) {
        if (p.dtype() == Compute.of(p.dtype())) return names;
        List<String> all = new ArrayList<>(names);
        all.addAll(List.of(copies));
        return all;
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
        private List<String> names = List.of();

        private Workspace() {}

        static Workspace reserve(List<Tensor> parameters, Optimizer optimizer) {
            Map<DataType, Long> elements = new IdentityHashMap<>();
            for (Tensor p : parameters) {
                long need = Math.multiplyExact((long) optimizer.scratch(p).size(), p.length());
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

        void bind(Tensor p, List<String> scratchNames) {
            bound = p;
            names = scratchNames;
        }

        /** The compute dtype of the parameter being updated (FLOAT, or DOUBLE for DOUBLE parameters). */
        public DataType computeType() {
            return Compute.of(bound.dtype());
        }

        /** Scratch buffer {@code name}, shaped like the parameter being updated. */
        public INDArray get(String name) {
            return get(name, bound.shape());
        }

        /** Scratch buffer {@code name} viewed as {@code shape} (at most the parameter's size): for smaller scratch. */
        public INDArray get(String name, long... shape) {
            return view(computeType(), index(name), shape);
        }

        /**
         * FLOAT scratch {@code name}'s memory itself, for code that must work on the bits of each value
         * (as stochastic rounding does): a view of the native buffer — reading and writing it allocates
         * nothing. The host must hold the current values ({@code ensureLocation}); written values are
         * marked as the host's, so a GPU backend copies them back before the next kernel.
         */
        public FloatBuffer hostFloats(String name) {
            INDArray view = get(name);                                   // checks the name exists
            if (view.dataType() != DataType.FLOAT) {
                throw new IllegalStateException("hostFloats is for FLOAT parameters' workspaces, not " + view.dataType());
            }
            Nd4j.getAffinityManager().ensureLocation(view, AffinityManager.Location.HOST);
            FloatBuffer all = buffers.get(DataType.FLOAT).array().data().asNioFloat();
            int n = (int) bound.length();
            int i = index(name);
            return all.position(i * n).limit(i * n + n).slice();
        }

        /** Marks FLOAT scratch {@code name} as written on the host (after {@link #hostFloats}). */
        public void hostWritten(String name) {
            Nd4j.getAffinityManager().tagLocation(get(name), AffinityManager.Location.HOST);
        }

        private int index(String name) {
            int i = names.indexOf(name);
            if (i < 0) {
                throw new IllegalStateException("no scratch '" + name + "' for " + bound + ": the optimizer's scratch(p) "
                        + "names " + names);
            }
            return i;
        }

        private INDArray view(DataType type, int i, long... shape) {
            long n = bound.length();
            long want = 1;
            for (long d : shape) want *= d;
            Storage buffer = buffers.get(type);
            if (want > n || buffer == null || (i + 1) * n > buffer.array().length()) {
                throw new IllegalStateException("scratch " + names.get(i) + " of " + Arrays.toString(shape)
                        + " for " + bound + ": larger than the parameter, or not reserved");
            }
            INDArray flat = buffer.array().get(NDArrayIndex.interval(i * n, i * n + want));
            return flat.reshape('c', shape);
        }

        /**
         * {@code t}'s values in the compute dtype: its own array, or (stored in a lower precision) a
         * copy in scratch {@code name}.
         */
        public INDArray compute(String name, Tensor t) {
            if (t.dtype() == computeType()) return t.array();
            INDArray copy = get(name, t.shape());
            Kernels.assign(copy, t.array());
            return copy;
        }

        /** Stores {@code values} into {@code t} (rounding to its dtype) unless they are its own array. */
        public void store(Tensor t, INDArray values) {
            if (values != t.array()) Kernels.assign(t.array(), values);
        }

        @Override
        public void close() {
            for (Storage s : buffers.values()) s.free();
            buffers.clear();
        }
    }
}
