package org.memlean.ch05;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.memlean.data.Batch;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Losses;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Sophia (Liu et al. 2023, "Sophia: A Scalable Stochastic Second-order Optimizer for Language Model
 * Pre-training"), its Gauss-Newton-Bartlett form (SophiaG). It keeps an EMA of the gradients (m) and
 * an EMA of a diagonal Hessian estimate (h), refreshed every k steps from the gradient of the loss
 * against labels <em>sampled from the model's own softmax</em>: ĥ = g_sampled ⊙ g_sampled. The update
 * divides the momentum by the curvature and clips it elementwise:
 * <pre>
 * m ← β1·m + (1 − β1)·g;   p ← p·(1 − lr·λ);   p ← p − lr · sign(m) · min(|m| / (ρ · N · h + ε), 1)
 * every k steps:  h ← β2·h + (1 − β2)·ĝ ⊙ ĝ
 * </pre>
 * (N the tokens of the batch, as the paper's code scales by its batch size.) State: m and h — two
 * buffers the size of the parameter, exactly AdamW's 8 bytes a parameter. The source article lists
 * Sophia among the optimizers that save memory; it saves steps, not memory.
 */
public final class Sophia extends Optimizer {
    private final double lr;
    private final double beta1;
    private final double beta2;
    private final double rho;
    private final double weightDecay;
    private double tokens = 1;

    public Sophia(List<Tensor> parameters, double lr, double beta1, double beta2, double rho, double weightDecay) {
        super(parameters);
        if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(rho > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("Sophia needs lr > 0, betas in [0, 1), rho > 0, weightDecay ≥ 0; got lr="
                    + lr + ", betas=(" + beta1 + ", " + beta2 + "), rho=" + rho + ", weightDecay=" + weightDecay);
        }
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.rho = rho;
        this.weightDecay = weightDecay;
    }

    /** The paper's defaults but the learning rate: betas (0.965, 0.99), ρ 0.04, weight decay 0.1. */
    public Sophia(List<Tensor> parameters, double lr) {
        this(parameters, lr, 0.965, 0.99, 0.04, 0.1);
    }

    /** Bytes of state for a parameter of {@code elements} elements of {@code width} bytes: m and h. */
    public static long stateBytes(long elements, int width) {
        return 2 * elements * width;
    }

    @Override
    protected void initState(Tensor p) {
        addState(p, "exp_avg", p.dtype(), p.shape());
        addState(p, "hessian", p.dtype(), p.shape());
    }

    /** The clipped ratio, and the denominator (then sign(m)). */
    @Override
    protected List<String> scratch(Tensor p) {
        return List.of("ratio", "denominator");
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        INDArray m = state(p, "exp_avg").array();
        INDArray h = state(p, "hessian").array();
        INDArray a = w.get("ratio");
        INDArray b = w.get("denominator");
        INDArray pa = p.array();
        Kernels.scale(m, beta1, m);
        Kernels.scale(g.array(), 1 - beta1, a);
        Kernels.add(m, a, m);                                    // m = β1·m + (1 − β1)·g
        if (weightDecay > 0) Kernels.scale(pa, 1 - lr * weightDecay, pa);
        Kernels.scale(h, rho * tokens, b);
        Kernels.addScalar(b, 1e-15, b);                          // ρ·N·h + ε
        Kernels.abs(m, a);
        Kernels.div(a, b, a);                                    // |m| / (ρ·N·h + ε)
        Kernels.clip(a, 0, 1, a);                                // min(…, 1)
        Kernels.sign(m, b);
        Kernels.mul(a, b, a);
        Kernels.scale(a, lr, a);
        Kernels.sub(pa, a, pa);                                  // p − lr · sign(m) · min(ratio, 1)
    }

    /**
     * The Gauss-Newton-Bartlett refresh: samples labels from the model's softmax at the batch's
     * answer positions, backpropagates the loss against them (an extra forward and backward — the
     * estimator's cost), and folds the squared gradients into h. Leaves no gradients behind.
     */
    public void updateHessian(Gpt model, Batch batch) {
        try (Scope s = Scope.open()) {
            MemoryMeter.current().mark("forward");
            long n = batch.targets().size(1);
            Tensor answer = model.forward(batch.inputs())                             // (B, T, V)
                    .then(logits -> logits.slice(1, logits.size(1) - n, n));          // (B, N, V)
            Tensor sampled = sample(answer);
            answer.then(a -> Losses.crossEntropy(a, sampled)).backward();
            tokens = sampled.length();
            try (GradMode.Guard off = GradMode.noGrad()) {
                for (Tensor p : parameters()) {
                    if (p.grad() == null) continue;
                    if (stateOf(p).isEmpty()) continue;                            // before the first step
                    INDArray h = state(p, "hessian").array();
                    INDArray gg = p.grad().array();
                    Kernels.mul(gg, gg, gg);                                           // ĝ ⊙ ĝ, in the gradient's buffer
                    Kernels.scale(gg, 1 - beta2, gg);
                    Kernels.scale(h, beta2, h);
                    Kernels.add(h, gg, h);
                }
            }
            zeroGrad(true);
        }
    }

    /** Labels drawn from softmax(logits) at each position (the framework's random stream). */
    private static Tensor sample(Tensor logits) {
        long v = logits.size(-1);
        long positions = logits.length() / v;
        float[] z = logits.toFloatArray();
        int[] labels = new int[(int) positions];
        SplittableRandom random = new SplittableRandom(Rng.nextLong());
        for (int i = 0; i < positions; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < v; k++) max = Math.max(max, z[(int) (i * v + k)]);
            double sum = 0;
            for (int k = 0; k < v; k++) sum += Math.exp(z[(int) (i * v + k)] - max);
            double u = random.nextDouble() * sum;
            int k = 0;
            for (double acc = Math.exp(z[(int) (i * v)] - max); acc < u && k < v - 1; ) acc += Math.exp(z[(int) (i * v + ++k)] - max);
            labels[i] = k;
        }
        long[] shape = Arrays.copyOf(logits.shape(), logits.rank() - 1);
        return Tensor.ofInts(labels, shape);
    }
}
