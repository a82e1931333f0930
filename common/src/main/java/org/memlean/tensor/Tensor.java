package org.memlean.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.Scope;
import org.memlean.memory.Storage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An n-dimensional array with autograd: one ND4J {@code INDArray} (a whole {@link Storage} or a view
 * of one), its gradient, whether it requires one, the {@link AutogradFunction} that made it, and a version
 * counter (on the storage, so views share it) that every in-place write bumps.
 *
 * <p>Memory: a tensor is a <em>handle</em> on a storage. {@link #release()} drops the handle — the
 * Java counterpart of Python's {@code del}; the buffer is freed when the last handle and the last
 * AutogradFunction that saved it let go, or when its {@link Scope} closes. Shape letters
 * in comments: B batch, T time, C channels, V vocabulary, L layers, H heads, D head size.
 */
public final class Tensor {
    private Storage storage;         // null while a parameter's memory is released (ZeRO-3)
    private INDArray array;
    private final long[] shape;
    private final DataType dtype;
    private int releasedVersion;
    private boolean requiresGrad;
    private Tensor grad;
    private AutogradFunction creator;
    private String name;
    private boolean released;
    private boolean graphReleased;
    private List<Consumer<Tensor>> gradHooks;

    private Tensor(Storage storage, INDArray array, boolean hold) {
        this.storage = storage;
        this.array = array;
        this.shape = array.shape();
        this.dtype = array.dataType();
        if (hold) storage.hold();
    }

    /** Wraps a freshly counted storage as its first handle. */
    public static Tensor of(Storage storage) {
        return new Tensor(storage, storage.array(), true);
    }

    /** A tensor of zeros. */
    public static Tensor zeros(DataType dataType, Category category, long... shape) {
        return of(Memory.zeros(dataType, shape, category, null));
    }

    /** A tensor holding {@code data} (row-major) in {@code dataType}, counted as {@code category}. */
    public static Tensor of(float[] data, DataType dataType, Category category, long... shape) {
        checkLength(data.length, shape);
        return of(Memory.copyOf(data, shape, dataType, category, null));
    }

    /** A FLOAT tensor of {@code data}, counted as INPUT. */
    public static Tensor of(float[] data, long... shape) {
        return of(data, DataType.FLOAT, Category.INPUT, shape);
    }

    /** An INT32 tensor (token ids, class targets), counted as INPUT. */
    public static Tensor ofInts(int[] data, long... shape) {
        checkLength(data.length, shape);
        return of(Memory.copyOf(data, shape, Category.INPUT, null));
    }

    private static void checkLength(int length, long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n != length) {
            throw new IllegalArgumentException("data of length " + length + " does not fill shape "
                    + Arrays.toString(shape) + " (" + n + " elements)");
        }
    }

    /** Another handle on the same storage (and view); it must be released on its own. */
    public Tensor alias() {
        return new Tensor(storage, array(), true);
    }

    /** Whether this is the only holder of a whole, unsaved, step-owned buffer (so it can be adopted). */
    boolean isWholeStorageSoleHandle() {
        return !released && storage != null && !storage.isFreed() && storage.holds() == 1
                && array == storage.array() && storage.category() == Category.TEMPORARY;
    }

    /** Whether this is a model parameter holding its whole buffer: saved by reference, never copied. */
    boolean isParameter() {
        return creator == null && storage != null && !storage.isFreed() && array == storage.array()
                && storage.category() == Category.PARAMETER;
    }

    /**
     * Frees this parameter's memory but keeps the tensor — its name, shape, dtype, gradient and
     * place in the model — so it can be given memory again with {@link #attachStorage}. This is how
     * ZeRO-3 holds only a shard of each layer between uses. The ledger records the release.
     */
    public void releaseStorage() {
        if (storage == null) return;
        if (!isParameter()) {
            throw new IllegalStateException("releaseStorage() is for parameters (leaves holding a whole PARAMETER "
                    + "buffer); " + describe() + " is not one");
        }
        releasedVersion = storage.version();
        Storage old = storage;
        storage = null;
        array = null;
        old.free();
    }

    /**
     * Gives a parameter whose memory was released a buffer of its shape and dtype again (for
     * example one an all-gather wrote into). The tensor takes a hold on it; its version continues
     * from before the release, so what autograd saved by reference stays valid.
     */
    public void attachStorage(Storage buffer) {
        if (storage != null) {
            throw new IllegalStateException(describe() + " still has its memory: releaseStorage() it first");
        }
        INDArray a = buffer.array();
        if (a.dataType() != dtype || !Arrays.equals(a.shape(), shape)) {
            throw new IllegalArgumentException("cannot attach a " + a.dataType() + " " + Arrays.toString(a.shape())
                    + " buffer to " + describe());
        }
        buffer.continueVersion(releasedVersion);
        buffer.hold();
        storage = buffer;
        array = a;
    }

    /** Whether this tensor has memory now (false only for a parameter released by {@link #releaseStorage}). */
    public boolean hasStorage() {
        return storage != null;
    }

    /** A handle that holds nothing: for Functions, whose save is the hold. */
    Tensor unheldHandle() {
        Tensor t = new Tensor(storage, array(), false);
        t.name = name;
        t.requiresGrad = requiresGrad;
        return t;
    }

    /** A handle on a view of this tensor's storage (a reshape that needs no copy). */
    Tensor view(INDArray view) {
        return new Tensor(storage, view, true);
    }

    /** The ND4J array. Throws if the handle or its memory was released. */
    public INDArray array() {
        if (storage == null) {
            throw new IllegalStateException("parameter " + describe() + " holds no memory now: its storage was "
                    + "released (ZeRO-3 keeps only a shard between uses); gather it with attachStorage first");
        }
        if (released) {
            throw new IllegalStateException("tensor " + describe() + " was released (its handle dropped with "
                    + "release()); keep it (don't release it) if it is still needed");
        }
        if (storage.isFreed()) {
            throw new IllegalStateException("tensor " + describe() + " has no memory any more: its scope closed "
                    + "or its last holder released it. Read what you need (item(), toFloatArray()) before the "
                    + "scope ends, or create it outside the scope");
        }
        return array;
    }

    /** The buffer under this tensor (null while a parameter's memory is released). */
    public Storage storage() {
        return storage;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long size(int axis) {
        int a = axis < 0 ? axis + shape.length : axis;
        if (a < 0 || a >= shape.length) {
            throw new IllegalArgumentException("axis " + axis + " of a tensor of shape " + Arrays.toString(shape));
        }
        return shape[a];
    }

    public int rank() {
        return shape.length;
    }

    public long length() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public DataType dtype() {
        return dtype;
    }

    /** Bytes of this tensor's elements (a view counts its own elements). */
    public long bytes() {
        return length() * dtype.width();
    }

    public String name() {
        return name;
    }

    public Tensor named(String name) {
        this.name = name;
        return this;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf as requiring a gradient (parameters do). */
    public Tensor requiresGrad(boolean requiresGrad) {
        if (creator != null && !requiresGrad) {
            throw new IllegalStateException("cannot turn off requiresGrad of a non-leaf tensor made by "
                    + creator.name() + "; detach() it instead");
        }
        this.requiresGrad = requiresGrad;
        return this;
    }

    /** A leaf is a tensor no recorded AutogradFunction made: its gradient accumulates in {@link #grad()}. */
    public boolean isLeaf() {
        return creator == null;
    }

    /** The AutogradFunction that made this tensor, or null for a leaf. */
    public AutogradFunction creator() {
        return creator;
    }

    /** Functions that took this node as an input (so an in-place op can point them at the value before it). */
    private List<AutogradFunction> consumers;

    void consumedBy(AutogradFunction f) {
        if (consumers == null) consumers = new ArrayList<>(2);
        consumers.add(f);
    }

    /**
     * Before an in-place op writes into this tensor while autograd records: a new node takes over
     * the graph this tensor had (its creator, and the place of this tensor among the inputs of the
     * ops that already used it), so that those ops' gradients flow to the value they saw. This tensor
     * is then free to become the in-place op's output. Returns that node (it holds no memory).
     */
    Tensor rebaseForInPlace() {
        Tensor before = new Tensor(storage, array, false);
        before.name = name;
        before.requiresGrad = requiresGrad;
        before.creator = creator;
        if (consumers != null) {
            for (AutogradFunction f : consumers) f.replaceInput(this, before);
            before.consumers = consumers;
            consumers = null;
        }
        creator = null;
        return before;
    }

    void setCreator(AutogradFunction function) {
        this.creator = function;
        this.requiresGrad = true;
    }

    void clearCreator() {
        this.creator = null;
        this.graphReleased = true;
    }

    /** Whether backward already ran through the graph that made this tensor (and freed it). */
    boolean graphReleased() {
        return graphReleased;
    }

    /**
     * Calls {@code hook} with this leaf once per backward, right after the last gradient that backward
     * gives it has been accumulated into {@link #grad()} (PyTorch's
     * {@code register_post_accumulate_grad_hook}). A gradient can then be reduced and freed while
     * backward goes on — how ZeRO-2 keeps only its shard of the gradients. Returns what removes it.
     */
    public Runnable registerPostAccumulateGradHook(Consumer<Tensor> hook) {
        if (!isLeaf() || !requiresGrad) {
            throw new IllegalStateException("a post-accumulate-grad hook needs a leaf that requires grad; "
                    + describe() + " is " + (isLeaf() ? "a leaf that does not require grad" : "not a leaf"));
        }
        if (gradHooks == null) gradHooks = new ArrayList<>();
        gradHooks.add(hook);
        return () -> gradHooks.remove(hook);
    }

    boolean hasGradHooks() {
        return gradHooks != null && !gradHooks.isEmpty();
    }

    void runGradHooks() {
        if (gradHooks == null) return;
        for (Consumer<Tensor> h : List.copyOf(gradHooks)) h.accept(this);
    }

    /** The accumulated gradient (GRADIENT memory), or null. */
    public Tensor grad() {
        return grad;
    }

    void setGradInternal(Tensor grad) {
        this.grad = grad;
    }

    /**
     * Sets this leaf's gradient (for optimizers that keep their own copies, such as fp32 master
     * weights). The previous gradient, if any, is freed.
     */
    public void setGrad(Tensor gradient) {
        if (gradient != null && (!Arrays.equals(gradient.shape(), shape()))) {
            throw new IllegalArgumentException("gradient of shape " + Arrays.toString(gradient.shape())
                    + " for a tensor of shape " + Arrays.toString(shape()));
        }
        if (grad != null && grad != gradient && grad.storage() != null) grad.storage().free();
        grad = gradient;
    }

    /** Frees the gradient (set to none) or fills it with zeros (keeps its memory). */
    public void zeroGrad(boolean setToNone) {
        if (grad == null) return;
        if (setToNone) {
            grad.storage().free();
            grad = null;
        } else {
            Kernels.fill(grad.array(), 0);
        }
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (length() != 1) {
            throw new IllegalStateException("item() needs a one-element tensor, got " + Arrays.toString(shape()));
        }
        return array().getDouble(0);
    }

    /** The elements, row-major, as floats (copied to the Java heap). */
    public float[] toFloatArray() {
        INDArray a = array();
        float[] out = new float[(int) a.length()];
        for (int i = 0; i < out.length; i++) out[i] = a.getFloat((long) i);
        return out;
    }

    /** The elements as doubles (copied to the Java heap). */
    public double[] toDoubleArray() {
        INDArray a = array();
        double[] out = new double[(int) a.length()];
        for (int i = 0; i < out.length; i++) out[i] = a.getDouble((long) i);
        return out;
    }

    /** Drops this handle; the memory goes when nothing else holds it. Idempotent. */
    public void release() {
        if (released) return;
        released = true;
        if (storage != null) storage.unhold();
    }

    /**
     * {@code f(this)}, then this handle is released — unless {@code f} returned this very tensor.
     * The idiom for a short-lived intermediate: a chain reads like the network and frees each
     * intermediate exactly where a hand-written {@code release()} would,
     * <pre>{@code
     * norm(x).then(attention).then(x::add)      // x + attention(norm(x)); the two intermediates go
     * }</pre>
     * A handle is not a buffer: what an op saved for backward stays alive (it holds the buffer itself).
     */
    public <R> R then(Function<? super Tensor, R> f) {
        R result;
        try {
            result = f.apply(this);
        } catch (RuntimeException | Error e) {
            release();
            throw e;
        }
        if (result != this) release();
        return result;
    }

    /** Runs backward from this (scalar) tensor: leaf gradients accumulate, the graph is freed. */
    public void backward() {
        Autograd.backward(this, null);
    }

    /** Runs backward from this tensor with {@code gradient} as d(loss)/d(this). */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient);
    }

    /** The same values, cut from the graph (shares memory; records nothing). */
    public Tensor detach() {
        return alias();
    }

    String describe() {
        return (name == null ? "" : "'" + name + "' ") + dtype + " " + Arrays.toString(shape);
    }

    @Override
    public String toString() {
        if (released || storage == null || storage.isFreed()) return "Tensor(" + describe() + ", released)";
        return "Tensor(" + describe() + (creator == null ? "" : ", creator=" + creator.name()) + ")";
    }

    // ---- ops, as methods (each one is a static op with its own AutogradFunction) ----

    public Tensor add(Tensor other) { return Arithmetic.add(this, other); }
    public Tensor sub(Tensor other) { return Arithmetic.sub(this, other); }
    public Tensor mul(Tensor other) { return Arithmetic.mul(this, other); }
    public Tensor div(Tensor other) { return Arithmetic.div(this, other); }
    public Tensor neg() { return Arithmetic.neg(this); }
    public Tensor mul(double factor) { return Arithmetic.scale(this, factor); }
    public Tensor matmul(Tensor other) { return LinearAlgebra.matmul(this, other, false, false); }
    public Tensor sum(boolean keepDims, int... axes) { return Reductions.sum(this, keepDims, axes); }
    public Tensor sum() { return Reductions.sum(this, false); }
    public Tensor mean(boolean keepDims, int... axes) { return Reductions.mean(this, keepDims, axes); }
    public Tensor mean() { return Reductions.mean(this, false); }
    public Tensor reshape(long... shape) { return Shapes.reshape(this, shape); }
    public Tensor permute(int... axes) { return Shapes.permute(this, axes); }
    public Tensor transpose(int axis0, int axis1) { return Shapes.transpose(this, axis0, axis1); }
    public Tensor slice(int axis, long start, long length) { return Shapes.slice(this, axis, start, length); }
    public Tensor exp() { return Activations.exp(this); }
    public Tensor log() { return Activations.log(this); }
    public Tensor tanh() { return Activations.tanh(this); }
    public Tensor gelu() { return Activations.gelu(this); }
    public Tensor relu() { return Activations.relu(this); }
    public Tensor sigmoid() { return Activations.sigmoid(this); }
    public Tensor silu() { return Activations.silu(this); }
    public Tensor softmax() { return Activations.softmax(this); }
    public Tensor logSoftmax() { return Activations.logSoftmax(this); }
    public Tensor cast(DataType dataType) { return Casts.cast(this, dataType); }

    /** In place: this *= factor (bumps the version). */
    public Tensor mulInPlace(double factor) { return InPlace.scale(this, factor); }
}
