package org.memlean.tensor;

import java.util.Arrays;
import java.util.function.Consumer;
import org.memlean.memory.Category;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.factory.Nd4j;

/**
 * In-place ops (PyTorch's {@code relu_}, {@code add_}, {@code mul_}, {@code dropout(inplace=True)}):
 * each writes its result into its input's buffer instead of a new one, so one buffer of the input's
 * size is never allocated. Each returns the tensor it changed.
 *
 * <p>Only where autograd allows it. An op may overwrite its input only if its own backward does not
 * need that input: ReLU, sigmoid, tanh and softmax compute their gradient from their output (which
 * they then save instead), addition, scaling and the causal mask need nothing, dropout needs only its
 * mask. GELU needs its input, so {@link #gelu} is refused while autograd records.
 *
 * <p>Safety, as in PyTorch: every write bumps the buffer's version; an op that saved the buffer for
 * its backward finds the version changed and fails with an error naming the tensor, the op that saved
 * it, the versions and the in-place op that wrote last. A leaf that requires grad (a parameter) is
 * never modified in place while autograd records.
 */
public final class InPlace {
    private InPlace() {}

    /** x ← max(x, 0). Saves its output (the same buffer) for backward. */
    public static Tensor relu(Tensor x) {
        return unary("relu_", "Relu", x, Activations::reluGrad,
                a -> Kernels.custom("relu", new INDArray[] {a}, new INDArray[] {a}, null, null, new double[] {0}));
    }

    /** x ← σ(x). Saves its output. */
    public static Tensor sigmoid(Tensor x) {
        return unary("sigmoid_", "Sigmoid", x, Activations::sigmoidGrad,
                a -> Kernels.run("sigmoid", 0, () -> Nd4j.exec(
                        new Sigmoid(a, a))));
    }

    /** x ← tanh(x). Saves its output. */
    public static Tensor tanh(Tensor x) {
        return unary("tanh_", "Tanh", x, Activations::tanhGrad, a -> Kernels.tanh(a, a));
    }

    /** x ← softmax(x) over the last axis. Saves its output. */
    public static Tensor softmax(Tensor x) {
        if (x.rank() < 1) throw new IllegalArgumentException("softmax_ needs at least one axis, got a scalar");
        return unary("softmax_", "Softmax", x, Activations::softmaxGrad,
                a -> Kernels.custom("softmax", new INDArray[] {a}, a, a.rank() - 1));
    }

    /**
     * GELU in place: only under no-grad (inference). GELU's backward needs its input, which writing
     * in place would destroy, so while autograd records this is refused.
     */
    public static Tensor gelu(Tensor x) {
        if (Autograd.needsGrad(x)) {
            throw new IllegalStateException("gelu_ on " + x.describe() + " while autograd is recording: GELU's backward "
                    + "needs its input, which an in-place GELU would overwrite. Use gelu(x), or gelu_ under "
                    + "GradMode.noGrad() (inference)");
        }
        checkWritable("gelu_", x);
        // x·σ(2u) = 0.5·x·(1 + tanh(u)), with one scratch buffer instead of an output and a scratch
        try (OpScope op = new OpScope("gelu_")) {
            INDArray a = op.in(x);
            INDArray t = op.temp(a.dataType(), x.shape());
            Activations.geluGate(a, t);                         // t = σ(2u), as gelu does
            Kernels.mul(a, t, a);
            if (a != x.array()) Kernels.assign(x.array(), a);
        }
        x.storage().bumpVersion("gelu_");
        return x;
    }

    /** x ← x + other (other broadcast into x's shape). Saves nothing. */
    public static Tensor add(Tensor x, Tensor other) {
        long[] shape = Arithmetic.broadcastShape("add_", x.shape(), other.shape());
        if (!Arrays.equals(shape, x.shape())) {
            throw new IllegalArgumentException("add_: " + Arrays.toString(other.shape()) + " does not broadcast into "
                    + Arrays.toString(x.shape()) + " without growing it");
        }
        boolean recording = begin("add_", x, other);
        try (OpScope op = new OpScope("add_")) {
            if (x.dtype() == Compute.of(x.dtype())) {
                Kernels.add(x.array(), op.in(other, x.dtype()), x.array());
            } else {
                INDArray sum = op.temp(Compute.of(x.dtype()), x.shape());
                Kernels.add(op.in(x), op.in(other, sum.dataType()), sum);
                Kernels.assign(x.array(), sum);
            }
        }
        return finish("add_", x, recording ? new Arithmetic.AddBackward(x.shape(), other.shape(), 1) : null, other);
    }

    /** x ← factor·x. Saves nothing. */
    public static Tensor scale(Tensor x, double factor) {
        boolean recording = begin("mul_", x);
        Kernels.scale(x.array(), factor, x.array());
        return finish("mul_", x, recording ? new Arithmetic.ScaleBackward(factor) : null);
    }

    /** Scores (…, T, T) with every key after its query set to −∞, in place. Saves nothing. */
    public static Tensor causalMask(Tensor scores) {
        long t = scores.size(-1);
        if (scores.rank() < 2 || scores.size(-2) != t) {
            throw new IllegalArgumentException("causalMask_ needs square (…, T, T) scores, got " + Arrays.toString(scores.shape()));
        }
        boolean recording = begin("causalMask_", scores);
        Tensor bias = Masks.triangle(t, Float.NEGATIVE_INFINITY, 0f, Compute.of(scores.dtype()));
        try {
            Kernels.add(scores.array(), bias.array(), scores.array());
        } finally {
            bias.release();
        }
        return finish("causalMask_", scores, recording ? new Masks.CausalMaskBackward() : null);
    }

    /**
     * Dropout in place: x ← x·mask/(1 − p) in training mode (the identity otherwise). Saves its mask,
     * as the out-of-place dropout does; what it saves is the output buffer.
     */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        if (!training || p == 0) return x;
        boolean recording = begin("dropout_", x);
        Tensor mask = Masks.dropoutMask("dropout_", x, p);
        Kernels.mul(x.array(), mask.array(), x.array());
        AutogradFunction f = recording ? new Masks.DropoutBackward() : null;
        finish("dropout_", x, f);
        if (f != null) f.save(mask);
        mask.release();
        return x;
    }

    // ---------------------------------------------------------------- the machinery

    private static Tensor unary(String op, String name, Tensor x, Activations.GradKernel grad,
                                Consumer<INDArray> kernel) {
        boolean recording = begin(op, x);
        if (x.dtype() == Compute.of(x.dtype())) {
            kernel.accept(x.array());
        } else {
            try (OpScope scope = new OpScope(op)) {
                INDArray c = scope.in(x);                        // a float copy: low precision computes in float
                kernel.accept(c);
                Kernels.assign(x.array(), c);
            }
        }
        AutogradFunction f = recording ? new Activations.Unary(name, grad) : null;
        finish(op, x, f);
        if (f != null) f.save(x);                               // its output, at the version just written
        return x;
    }

    /**
     * For an in-place op of your own, before it writes into {@code x}: refuses a leaf that requires
     * grad (while recording) and returns whether autograd records the op. Then write, then
     * {@link #record}, then save what the backward needs (after the write: saving before it would make
     * the saved version stale).
     */
    public static boolean start(String op, Tensor x, Tensor... others) {
        return begin(op, x, others);
    }

    /**
     * For an in-place op of your own, after it wrote into {@code x}: bumps the version and, when
     * {@code f} is not null (autograd records), makes {@code x} the output of {@code f}, whose first
     * input is the value {@code x} had before the write, the others {@code others}.
     */
    public static Tensor record(String op, Tensor x, AutogradFunction f, Tensor... others) {
        return finish(op, x, f, others);
    }

    /** Refuses what must not be written; returns whether autograd records this op. */
    private static boolean begin(String op, Tensor x, Tensor... others) {
        checkWritable(op, x);
        boolean recording = Autograd.needsGrad(x) || others.length > 0 && Autograd.needsGrad(others);
        if (recording && x.isLeaf() && x.requiresGrad()) {
            throw new IllegalStateException(op + " on " + x.describe() + ": a leaf that requires grad cannot be modified "
                    + "in place while autograd is recording (its gradient is defined against the value it holds). "
                    + "Use the out-of-place op, or run it under GradMode.noGrad() (as an optimizer does)");
        }
        return recording;
    }

    private static void checkWritable(String op, Tensor x) {
        if (x.storage() == null) x.array();                    // a released parameter: its own clear error
        if (x.storage().category() == Category.PARAMETER && GradMode.isEnabled() && x.requiresGrad()) {
            throw new IllegalStateException(op + " on " + x.describe() + ": a leaf that requires grad cannot be modified "
                    + "in place while autograd is recording. Use the out-of-place op, or run it under GradMode.noGrad()");
        }
    }

    /** Bumps the version; while recording, makes {@code x} the output of {@code f}, fed by the value it had. */
    private static Tensor finish(String op, Tensor x, AutogradFunction f, Tensor... others) {
        x.storage().bumpVersion(op);
        if (f != null) {
            Tensor before = x.rebaseForInPlace();
            Tensor[] inputs = new Tensor[1 + others.length];
            inputs[0] = before;
            System.arraycopy(others, 0, inputs, 1, others.length);
            f.attach(x, inputs);
        }
        return x;
    }
}
