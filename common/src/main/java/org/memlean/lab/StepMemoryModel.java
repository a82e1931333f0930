package org.memlean.lab;

import java.util.EnumMap;
import java.util.Map;
import org.memlean.memory.Category;
import org.memlean.nn.GptConfig;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The analytic model of one training step of the course's GPT (FLOAT, dropout off, AdamW), moment
 * by moment: not only the end of forward — where every activation is saved — but through backward,
 * where the step's true peak is: activations are released as backward passes them, gradients of
 * activations are alive in flight, each op's backward allocates its output and its scratch, and
 * parameter gradients pile up. The model walks backward in the order autograd does (the reverse of
 * a depth-first post-order from the loss) and, for each Function, allocates and frees what that
 * Function's backward allocates and frees, in bytes. The largest total is the predicted peak.
 *
 * <p>It is a model of this framework's implementation, written from its code, not a measurement:
 * {@code AnatomyTest} checks it against the meter at several sizes (within 2%; in practice to the
 * byte). Change an op's backward and this model must change with it.
 */
public final class StepMemoryModel {
    private final long[] live = new long[Category.values().length];
    private long peak = -1;
    private long[] atPeak;
    private String peakAt;

    private final long b;
    private final long t;
    private final long n;
    private final long c;
    private final long h;
    private final long v;
    private final long layers;

    /** The predicted peak: its bytes, its breakdown by category, and where in the step it falls. */
    public record Peak(long bytes, Map<Category, Long> byCategory, String at) {}

    private StepMemoryModel(GptConfig config, long batch, long time, long answer) {
        this.b = batch;
        this.t = time;
        this.n = answer;
        this.c = config.channels();
        this.h = config.heads();
        this.v = config.vocabSize();
        this.layers = config.layers();
    }

    /**
     * The predicted peak of a steady-state training step (AdamW's state exists, gradients were set
     * to none after the previous step) of {@code config} on a batch of {@code batch} sequences of
     * {@code time} tokens, the loss over the last {@code answer}.
     */
    public static Peak predictPeak(GptConfig config, long batch, long time, long answer) {
        if (config.dropout() != 0 || config.dataType() != DataType.FLOAT || !config.causal()) {
            throw new IllegalArgumentException("the step model covers the FLOAT, causal GPT without dropout; got " + config);
        }
        StepMemoryModel m = new StepMemoryModel(config, batch, time, answer);
        m.run(config);
        return new Peak(m.peak, toMap(m.atPeak), m.peakAt);
    }

    private static Map<Category, Long> toMap(long[] values) {
        Map<Category, Long> out = new EnumMap<>(Category.class);
        for (Category cat : Category.values()) out.put(cat, values[cat.ordinal()]);
        return out;
    }

    // ---- the ledger of the model ----

    private void alloc(Category cat, long bytes) {
        live[cat.ordinal()] += bytes;
    }

    private void free(Category cat, long bytes) {
        live[cat.ordinal()] -= bytes;
    }

    /** A moment: if the total now is the highest so far, it is the peak. */
    private void moment(String where) {
        long total = 0;
        for (long x : live) total += x;
        if (total > peak) {
            peak = total;
            atPeak = live.clone();
            peakAt = where;
        }
    }

    /** A scalar op inside a kernel: its 4-byte scalar lives while the op runs. */
    private void scalarMoment(String where) {
        alloc(Category.TEMPORARY, 4);
        moment(where);
        free(Category.TEMPORARY, 4);
    }

    // sizes in bytes (FLOAT)
    private long btc() {
        return 4 * b * t * c;
    }

    private long bt() {
        return 4 * b * t;
    }

    private long bhtt() {
        return 4 * b * h * t * t;
    }

    private long bht() {
        return 4 * b * h * t;
    }

    private void run(GptConfig config) {
        long p = config.parameterCount();
        // the end of forward: the anatomy's exact model
        alloc(Category.PARAMETER, 4 * p);
        alloc(Category.OPTIMIZER_STATE, 8 * p);
        alloc(Category.ACTIVATION, config.savedActivationBytes(b, t, n) - 4 * b * n * v);   // all but the loss's
        alloc(Category.INPUT, 4 * (b * t + b * n + t));      // ids, targets, position ids
        crossEntropyForward();
        moment("end of forward");

        backward(config);

        // the optimizer: every gradient and AdamW's workspace (one buffer of the largest parameter);
        // its kernels allocate nothing (the decay is BLAS scal, which needs no scalar array)
        long largest = 4 * Math.max(4 * c * c, Math.max(v, config.blockSize()) * c);
        alloc(Category.TEMPORARY, largest);
        moment("optimizer: AdamW workspace");
        free(Category.TEMPORARY, largest);
    }

    /**
     * The loss's forward, on the answer slice of the logits (the full logits are gone): its
     * log-probabilities (then saved), a one-hot, their product, and the loss scalar (which stays).
     */
    private void crossEntropyForward() {
        long bnv = 4 * b * n * v;
        alloc(Category.TEMPORARY, bnv);                        // the answer slice
        alloc(Category.TEMPORARY, 3 * bnv + 4);                // log-probabilities, one-hot, product; the loss
        scalarMoment("forward: crossEntropy");
        free(Category.TEMPORARY, 3 * bnv);
        alloc(Category.ACTIVATION, bnv);                       // the log-probabilities, saved
        free(Category.TEMPORARY, bnv);                         // the answer slice (nothing saved it)
    }

    private void backward(GptConfig config) {
        long bnv = 4 * b * n * v;
        long btv = 4 * b * t * v;
        // the seed gradient, ones like the loss
        alloc(Category.TEMPORARY, 4);
        scalarMoment("backward: seed");
        // CrossEntropyBackward: its output and a one-hot; then its saved log-probabilities go
        alloc(Category.TEMPORARY, 2 * bnv);
        scalarMoment("backward: CrossEntropyBackward");
        free(Category.TEMPORARY, bnv);                         // the one-hot
        free(Category.ACTIVATION, bnv);
        free(Category.TEMPORARY, 4);                           // the seed
        if (n < t) {                                           // sliceBackward: zeros of the full logits
            alloc(Category.TEMPORARY, btv);
            scalarMoment("backward: sliceBackward");
            free(Category.TEMPORARY, bnv);
        }
        long incoming = n < t ? btv : bnv;
        // the head, normed (B, T, C) @ W (C, V), no bias: dX and dW
        alloc(Category.TEMPORARY, btc() + 4 * c * v);
        moment("backward: head matmul");
        free(Category.ACTIVATION, btc());                      // its saved input
        free(Category.TEMPORARY, incoming);
        moveToGradient(4 * c * v);
        layerNormBackward("backward: final LayerNormBackward", false);
        // now the residual stream's gradient (B, T, C) is the one pending gradient: blocks, top down
        for (long block = layers; block >= 1; block--) blockBackward(block);
        embeddingsBackward(config);
    }

    private void moveToGradient(long bytes) {
        free(Category.TEMPORARY, bytes);
        alloc(Category.GRADIENT, bytes);
    }

    /**
     * A layer norm's backward on a (B, T, C) gradient: x̂, a product, dx̂ and dx (four BTC), two
     * per-row means, dγ and dβ; then its saved input and statistics go, and its incoming gradient.
     * {@code intoPending}: dx is added into a gradient already pending (the residual) and freed.
     */
    private void layerNormBackward(String where, boolean intoPending) {
        alloc(Category.TEMPORARY, 4 * btc() + 2 * 4 * c + 2 * bt());
        moment(where);
        free(Category.TEMPORARY, 3 * btc() + 2 * bt());        // x̂, product, dx̂, the two means
        free(Category.ACTIVATION, btc() + 2 * bt());           // saved input, mean, 1/std
        free(Category.TEMPORARY, btc());                       // the incoming gradient
        moveToGradient(2 * 4 * c);                             // dγ, dβ
        if (intoPending) free(Category.TEMPORARY, btc());      // dx, added into the residual's gradient
    }

    /** A linear layer's bias gradient: summed into a TEMPORARY, then added into a new GRADIENT. */
    private void biasBackward(long width) {
        alloc(Category.TEMPORARY, 4 * width);
        alloc(Category.GRADIENT, 4 * width);
        free(Category.TEMPORARY, 4 * width);
    }

    /**
     * A linear layer's matmul backward, x (B, T, in) @ W (in, out): dX (B, T, in) and dW (in, out);
     * then its saved input goes, and the incoming gradient unless it is the residual's (shared).
     */
    private void linearBackward(String where, long in, long out, boolean incomingShared) {
        alloc(Category.TEMPORARY, 4 * b * t * in + 4 * in * out);
        moment(where);
        free(Category.ACTIVATION, 4 * b * t * in);
        if (!incomingShared) free(Category.TEMPORARY, 4 * b * t * out);
        moveToGradient(4 * in * out);
    }

    private void blockBackward(long block) {
        String at = " of block " + block;
        // x2 = x1 + mlp(…): both inputs get aliases of the residual gradient (no memory)
        // MLP: proj (4C → C) with bias, GELU, fc (C → 4C) with bias, then norm2
        biasBackward(c);
        linearBackward("backward: MLP proj matmul" + at, 4 * c, c, true);
        // GELU: its output and two scratch buffers (4C wide each), with scalar ops among them
        alloc(Category.TEMPORARY, 3 * 4 * btc());
        scalarMoment("backward: GeluBackward" + at);
        free(Category.TEMPORARY, 2 * 4 * btc());
        free(Category.ACTIVATION, 4 * btc());                  // its saved input
        free(Category.TEMPORARY, 4 * btc());                   // the incoming gradient
        biasBackward(4 * c);
        linearBackward("backward: MLP fc matmul" + at, c, 4 * c, false);
        layerNormBackward("backward: LayerNormBackward (norm2)" + at, true);
        // x1 = x + attn(…): aliases again. Attention: proj with bias
        biasBackward(c);
        linearBackward("backward: attention proj matmul" + at, c, c, true);
        // merged heads: a reshape (a view) of a permute (a copy)
        alloc(Category.TEMPORARY, btc());
        moment("backward: permute of merged heads" + at);
        free(Category.TEMPORARY, btc());
        // y = probs @ v: dProbs (B, H, T, T) and dV (B, H, T, D); v goes, probs stays (softmax saved it too)
        alloc(Category.TEMPORARY, bhtt() + btc());
        moment("backward: attention·v matmul" + at);
        free(Category.ACTIVATION, btc());
        free(Category.TEMPORARY, btc());
        // v's way back: permute (a copy), reshape (a view), slice → zeros of (B, T, 3C): the first into qkv
        qkvPartBackward("v", at, true);
        // softmax: its output and a per-row sum; then its saved output (probs) and the incoming gradient go
        alloc(Category.TEMPORARY, bhtt() + bht());
        moment("backward: SoftmaxBackward" + at);
        free(Category.TEMPORARY, bht());
        free(Category.ACTIVATION, bhtt());
        free(Category.TEMPORARY, bhtt());
        // the causal mask: a (T, T) 0/1 triangle and the masked gradient
        alloc(Category.TEMPORARY, 4 * t * t + bhtt());
        moment("backward: CausalMaskBackward" + at);
        free(Category.TEMPORARY, 4 * t * t + bhtt());
        // the 1/√D scale: a scaled copy
        alloc(Category.TEMPORARY, bhtt());
        scalarMoment("backward: ScaleBackward" + at);
        free(Category.TEMPORARY, bhtt());
        // scores = q @ kᵀ: dQ and dK; q and k go; the incoming (B, H, T, T) gradient goes
        alloc(Category.TEMPORARY, 2 * btc());
        moment("backward: q·kᵀ matmul" + at);
        free(Category.ACTIVATION, 2 * btc());
        free(Category.TEMPORARY, bhtt());
        qkvPartBackward("k", at, false);
        qkvPartBackward("q", at, false);
        biasBackward(3 * c);
        linearBackward("backward: qkv matmul" + at, c, 3 * c, false);
        layerNormBackward("backward: LayerNormBackward (norm1)" + at, true);
    }

    /**
     * One of q, k, v on its way back to the fused qkv output: permute (a BTC copy; the incoming BTC
     * gradient goes), reshape (a view), slice (zeros of (B, T, 3C) with the part written in). The
     * first part becomes the pending qkv gradient; the others are added into it and freed.
     */
    private void qkvPartBackward(String part, String at, boolean first) {
        alloc(Category.TEMPORARY, btc());
        moment("backward: permute of " + part + at);
        free(Category.TEMPORARY, btc());                       // the incoming gradient
        alloc(Category.TEMPORARY, 3 * btc());
        scalarMoment("backward: sliceBackward of " + part + at);
        free(Category.TEMPORARY, btc());                       // the permuted copy
        if (!first) free(Category.TEMPORARY, 3 * btc());       // added into the pending qkv gradient
    }

    private void embeddingsBackward(GptConfig config) {
        // tok + pos: the position embedding's gradient is summed over the batch, (T, C)
        alloc(Category.TEMPORARY, 4 * t * c);
        moment("backward: add of the embeddings");
        // positions: zeros of the table (blockSize, C), scattered into; its ids (INPUT) go after
        long positions = 4L * config.blockSize() * c;
        alloc(Category.TEMPORARY, positions);
        scalarMoment("backward: EmbeddingBackward (positions)");
        free(Category.INPUT, 4 * t);                           // the position ids it saved
        free(Category.TEMPORARY, 4 * t * c);
        moveToGradient(positions);
        // tokens: zeros of (V, C); then the residual's gradient, used by the last add, goes
        long tokens = 4 * v * c;
        alloc(Category.TEMPORARY, tokens);
        scalarMoment("backward: EmbeddingBackward (tokens)");
        free(Category.TEMPORARY, btc());
        moveToGradient(tokens);
    }
}
