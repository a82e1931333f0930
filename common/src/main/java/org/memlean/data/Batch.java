package org.memlean.data;

import org.memlean.tensor.Tensor;

/**
 * A batch of a sequence task.
 *
 * @param inputs token ids (B, T), INPUT memory
 * @param targets the answer ids (B, N) the model must predict at the last N positions
 */
public record Batch(Tensor inputs, Tensor targets) implements AutoCloseable {
    public long size() {
        return inputs.size(0);
    }

    /** Releases both tensors (a scope would too). */
    @Override
    public void close() {
        inputs.release();
        targets.release();
    }
}
