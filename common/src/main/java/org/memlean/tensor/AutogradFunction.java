package org.memlean.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One autograd op. {@code forward} is the static op method that computes the result; the AutogradFunction
 * it records keeps the inputs (to route gradients) and, explicitly, whatever its backward needs:
 * {@link #save(Tensor...)} is how activation memory comes to exist, and {@link #releaseSaved()}
 * right after backward is how it goes away. Checkpointing, no-grad and in-place chapters all work
 * by changing what is saved.
 */
public abstract class AutogradFunction {
    private Tensor[] inputs = new Tensor[0];
    private long[][] inputShapes = new long[0][];
    private DataType[] inputTypes = new DataType[0];
    private final List<Tensor> saved = new ArrayList<>();
    private final List<Integer> savedVersions = new ArrayList<>();
    private final List<Boolean> savedByHold = new ArrayList<>();
    private final List<Tensor> savedFrom = new ArrayList<>();      // the tensors as the op saw them (for names)
    private boolean released;

    /** The op's name, for errors and for the memory timeline. */
    public String name() {
        return getClass().getSimpleName();
    }

    /**
     * Gradients of the loss with respect to each input, given the gradient with respect to this
     * op's output; null where an input needs none. Runs with grad mode off.
     */
    protected abstract Tensor[] backward(Tensor gradOutput);

    /**
     * Records this AutogradFunction as the creator of {@code output} (which then requires grad); called by
     * the op after forward. Gradients flow back to {@code inputs} that require them.
     */
    public final AutogradFunction attach(Tensor output, Tensor... inputs) {
        this.inputs = inputs;
        this.inputShapes = new long[inputs.length][];
        this.inputTypes = new DataType[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            inputShapes[i] = inputs[i].shape();
            inputTypes[i] = inputs[i].dtype();
        }
        output.setCreator(this);
        for (Tensor in : inputs) if (in != null) in.consumedBy(this);
        return this;
    }

    /** An in-place op rebased {@code was}: this AutogradFunction used the value before it, now the node {@code before}. */
    final void replaceInput(Tensor was, Tensor before) {
        for (int i = 0; i < inputs.length; i++) if (inputs[i] == was) inputs[i] = before;
    }

    /**
     * Keeps tensors for backward. Each becomes ACTIVATION memory until backward releases it — except
     * a model parameter, which is kept by reference: it is PARAMETER memory already, and a parameter
     * whose memory is released and gathered again between forward and backward (ZeRO-3) is then
     * read where it is at backward time.
     */
    protected final AutogradFunction save(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t.isParameter()) {
                saved.add(t);
                savedByHold.add(false);
            } else {
                Tensor handle = t.unheldHandle();
                handle.storage().markSaved(); // the save is a hold of its own
                saved.add(handle);
                savedByHold.add(true);
            }
            savedVersions.add(t.storage().version());
            savedFrom.add(t);
        }
        return this;
    }

    /** A saved tensor, checked against in-place modification since it was saved. */
    protected final Tensor saved(int index) {
        if (released) {
            throw new IllegalStateException("backward of " + name()
                    + " ran a second time: its saved tensors were already released after the first backward "
                    + "(the graph is freed as backward walks it)");
        }
        Tensor t = saved.get(index);
        if (!t.hasStorage()) t.array();   // a released parameter: its own clear error
        int now = t.storage().version();
        int then = savedVersions.get(index);
        if (now != then) {
            throw new IllegalStateException("one of the tensors needed for gradient computation has been modified "
                    + "by an in-place operation: saved tensor " + index + " of " + name() + ", "
                    + t.dtype() + " " + Arrays.toString(t.shape()) + nameOf(index)
                    + ", was at version " + then + " when saved and is at version " + now + " now"
                    + (t.storage().lastWriter() == null ? "" : " (last modified by " + t.storage().lastWriter() + ")")
                    + ". Use the out-of-place op, or clone the tensor before modifying it.");
        }
        return t;
    }

    private String nameOf(int index) {
        String name = savedFrom.get(index).name();
        if (name == null) name = saved.get(index).name();
        return name == null ? "" : " '" + name + "'";
    }

    /** Bytes this AutogradFunction holds for backward (for teaching and tests). */
    public long savedBytes() {
        long bytes = 0;
        for (int i = 0; i < saved.size(); i++) if (savedByHold.get(i)) bytes += saved.get(i).bytes();
        return bytes;
    }

    /** The shape input {@code i} had in forward (its memory may be gone by backward). */
    protected final long[] inputShape(int i) {
        return inputShapes[i];
    }

    /** The dtype input {@code i} had in forward. */
    protected final DataType inputType(int i) {
        return inputTypes[i];
    }

    /** The op's inputs, in order. */
    public Tensor[] inputs() {
        return inputs;
    }

    /** Drops the saved tensors: their memory is freed once nothing else holds it. */
    final void releaseSaved() {
        if (released) return;
        released = true;
        for (int i = 0; i < saved.size(); i++) if (savedByHold.get(i)) saved.get(i).storage().releaseSaved();
        saved.clear();
        savedFrom.clear();
    }
}
