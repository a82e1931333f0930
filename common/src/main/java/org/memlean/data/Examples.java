package org.memlean.data;

import java.util.Arrays;
import org.memlean.tensor.Tensor;

/**
 * A batch still in Java memory, not yet on a device: what a data loader hands each rank its rows of.
 *
 * @param inputs  token ids, row-major (size × length)
 * @param targets answers, row-major (size × answers)
 */
public record Examples(int[] inputs, int[] targets, int size, int length, int answers) {
    public Examples {
        if (inputs.length != size * length || targets.length != size * answers) {
            throw new IllegalArgumentException("examples of " + size + " rows need " + size * length + " ids and "
                    + size * answers + " answers, got " + inputs.length + " and " + targets.length);
        }
    }

    /** Rows [from, from + count): one rank's slice of a global batch. */
    public Examples rows(int from, int count) {
        if (from < 0 || count < 1 || from + count > size) {
            throw new IllegalArgumentException("rows [" + from + ", " + (from + count) + ") of a batch of " + size);
        }
        return new Examples(Arrays.copyOfRange(inputs, from * length, (from + count) * length),
                Arrays.copyOfRange(targets, from * answers, (from + count) * answers), count, length, answers);
    }

    /** The batch on the calling thread's device: ids (B, T) and targets (B, N), INPUT memory. */
    public Batch toBatch() {
        Tensor ids = Tensor.ofInts(inputs, size, length);
        try {
            return new Batch(ids, Tensor.ofInts(targets, size, answers));
        } catch (RuntimeException e) {
            ids.release();
            throw e;
        }
    }
}
