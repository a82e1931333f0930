package org.memlean.tensor;

import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Automatic mixed precision, PyTorch's {@code autocast}: inside {@link #enable(DataType)}, the ops in
 * the table below run with their inputs cast — matmul-type ops to the low type (their results, and
 * the inputs they save for backward, are half the size), precision-sensitive ops to FLOAT. Every
 * other op runs in the type of its inputs (the widest, if they differ). The casts are ordinary
 * differentiable ops: gradients flow back in each tensor's own dtype.
 */
public final class Autocast {
    /** What autocast does to an op's inputs. */
    public enum Rule { LOW, FLOAT32 }

    /**
     * The op table — PyTorch's CUDA lists (matmul-type ops to the low type; softmax, log-softmax,
     * layer norm, the losses and reductions to float32). PyTorch's CPU autocast keeps only the losses
     * on its float32 list (softmax and layer norm run in their input's dtype there), in
     * {@code aten/src/ATen/autocast_mode.cpp}. Ops not listed keep their inputs' types.
     */
    public static final Map<String, Rule> TABLE = Map.ofEntries(
            Map.entry("matmul", Rule.LOW),          // batched matmul, attention scores and mixing
            Map.entry("linear", Rule.LOW),          // x·W + b, as PyTorch's F.linear
            Map.entry("softmax", Rule.FLOAT32),     // exp of large logits overflows in half
            Map.entry("logSoftmax", Rule.FLOAT32),
            Map.entry("layerNorm", Rule.FLOAT32),   // a variance: a sum of squares
            Map.entry("crossEntropy", Rule.FLOAT32),
            Map.entry("mse", Rule.FLOAT32),
            Map.entry("sum", Rule.FLOAT32),         // reductions accumulate
            Map.entry("mean", Rule.FLOAT32),
            Map.entry("exp", Rule.FLOAT32),
            Map.entry("log", Rule.FLOAT32));

    private static final ThreadLocal<DataType[]> ACTIVE = ThreadLocal.withInitial(() -> new DataType[1]);

    private Autocast() {}

    /** Autocast to {@code low} (HALF or BFLOAT16) until the guard closes. */
    public static GradMode.Guard enable(DataType low) {
        if (low != DataType.HALF && low != DataType.BFLOAT16) {
            throw new IllegalArgumentException("autocast lowers to HALF or BFLOAT16, not " + low);
        }
        return set(low);
    }

    /** The low type in force on this thread, or null. */
    public static DataType active() {
        return ACTIVE.get()[0];
    }

    /** Autocast off, as a fresh thread has it (the grader, between tasks). */
    public static void reset() {
        ACTIVE.get()[0] = null;
    }

    static GradMode.Guard set(DataType low) {
        DataType[] slot = ACTIVE.get();
        DataType previous = slot[0];
        slot[0] = low;
        return () -> slot[0] = previous;
    }

    /** The dtype autocast wants {@code op}'s floating inputs in, or null when it leaves the op alone. */
    static DataType target(String op) {
        DataType low = active();
        if (low == null) return null;
        Rule rule = TABLE.get(op);
        if (rule == null) return null;
        return rule == Rule.LOW ? low : DataType.FLOAT;
    }

    /** {@code t} cast to {@code type} when it is a floating tensor of another type, else a recorded identity. */
    static Tensor castInput(Tensor t, DataType type) {
        if (t == null) return null;
        if (!Compute.isFloatingStorage(t.dtype()) || t.dtype() == type || t.dtype() == DataType.DOUBLE) {
            return Shapes.identity(t);
        }
        return Casts.cast(t, type);
    }

    /**
     * Runs {@code op} with autocast's casts applied to its inputs (and autocast off inside, so the op
     * does not cast again); the cast copies are released afterwards unless the op saved them.
     */
    static Tensor apply(String name, Function<Tensor[], Tensor> op, Tensor... inputs) {
        DataType type = target(name);
        Tensor[] cast = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) cast[i] = castInput(inputs[i], type);
        try (GradMode.Guard off = set(null)) {
            return op.apply(cast);
        } finally {
            for (Tensor t : cast) if (t != null) t.release();   // what the op saved, it holds itself
        }
    }
}
