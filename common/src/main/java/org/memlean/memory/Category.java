package org.memlean.memory;

/**
 * What a native buffer is for, as PyTorch's memory profiler labels it.
 *
 * <p>PARAMETER, GRADIENT and OPTIMIZER_STATE are kept across training steps; the others belong to
 * the step (and to the {@link Scope} it runs in) and are released when it ends, if not before.
 */
public enum Category {
    /** Trainable (or frozen) weights of a model. */
    PARAMETER(true),
    /** Gradients accumulated into leaf tensors ({@code tensor.grad()}). */
    GRADIENT(true),
    /** Optimizer moments, master copies, anything an optimizer keeps between steps. */
    OPTIMIZER_STATE(true),
    /** An op result saved by an autograd Function for its backward: activation memory. */
    ACTIVATION(false),
    /** Everything else a step allocates: op results nobody saved, casts, gradients of non-leaves. */
    TEMPORARY(false),
    /** A batch of data and its targets. */
    INPUT(false);

    private final boolean keptAcrossSteps;

    Category(boolean keptAcrossSteps) {
        this.keptAcrossSteps = keptAcrossSteps;
    }

    /** Whether buffers of this category outlive the scope they were allocated in. */
    public boolean keptAcrossSteps() {
        return keptAcrossSteps;
    }
}
