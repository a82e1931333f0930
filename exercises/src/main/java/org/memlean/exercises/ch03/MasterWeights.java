package org.memlean.exercises.ch03;

import java.util.List;
import org.memlean.tensor.Tensor;

/**
 * Task 3.1: the master-weights step of mixed precision (the article's five steps, 3 to 5): the model
 * is stored in float16; this class keeps a float32 copy of every weight and updates the copies.
 *
 * <p>Each step: the float16 gradients (of the loss × {@code scale}) become float32, are unscaled, and
 * are checked for inf and NaN; if any is found, nothing changes and the step reports the skip.
 * Otherwise AdamW updates the float32 masters — {@code new AdamW(masters, lr, 0.9, 0.999, 1e-8, 0)}
 * — and the masters are rounded back into the float16 weights. Afterwards no weight holds a gradient.
 *
 * <p>Graded against a reference implementation over several steps (an overflowing one included), and
 * on the meter: 2 bytes a parameter of weights, 2 of gradients, 12 of optimizer state (a float32
 * master and AdamW's two float32 moments). The float32 copies of the gradients are in flight
 * (TEMPORARY), not gradients of a leaf.
 *
 * <p>Hints: which category should the masters' memory have? In which order must the cast and the
 * unscaling happen so that no small gradient underflows? How do you tell an inf or a NaN in a whole
 * tensor with one number? After copying a float32 master into a float16 weight, autograd must know
 * the weight changed (chapter 9: versions).
 */
public final class MasterWeights implements AutoCloseable {
    /** Float32 masters of {@code halfWeights} (FLOAT16 parameters), updated by AdamW at learning rate {@code lr}. */
    public MasterWeights(List<Tensor> halfWeights, double lr) {
        throw new UnsupportedOperationException("Task 3.1: the master weights — not implemented yet. Hint: a float32 "
                + "copy of each weight, kept across steps, and an AdamW over the copies");
    }

    /** One update from the weights' float16 gradients of the loss × {@code scale}; false (nothing changed) on overflow. */
    public boolean step(double scale) {
        throw new UnsupportedOperationException("Task 3.1: the master-weights step — not implemented yet. Hint: cast, "
                + "unscale, check, update, round back");
    }

    /** Frees the masters and AdamW's state. */
    @Override
    public void close() {
        throw new UnsupportedOperationException("Task 3.1: closing — not implemented yet");
    }
}
