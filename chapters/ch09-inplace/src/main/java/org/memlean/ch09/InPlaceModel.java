package org.memlean.ch09;

import org.memlean.nn.Block;
import org.memlean.nn.Dropout;
import org.memlean.nn.Gpt;
import org.memlean.nn.Layer;
import org.memlean.nn.MultiHeadAttention;
import org.memlean.nn.Relu;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.InPlace;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Tensor;

/**
 * (Under no-grad — inference — the GELU works in place too: nothing saves its input then.)
 *
 * The course's GPT with its blocks rewritten to work in place wherever autograd allows it — the same
 * parameters (each part is taken from the block it replaces), the same arithmetic, one buffer fewer
 * at each of these places:
 *
 * <pre>
 *   every linear layer  x·W + b     → add_ of b into x·W, which nobody saves (PyTorch fuses it: addmm)
 *   attention   scores·(1/√D)      → mul_         its backward needs nothing
 *               causal mask         → causalMask_  nothing
 *               softmax             → softmax_     its output (which it saves anyway)
 *               residual dropout    → dropout_     its mask
 *   block       x + attention(…)    → add_ into the attention's output, nobody's saved tensor
 *               x1 + mlp(…)         → add_ into the MLP's output
 *   MLP         ReLU (if used)      → relu_        its output
 *               dropout             → dropout_     its mask
 * </pre>
 *
 * <p>What stays out of place, and why: GELU (its backward needs its input, which the first projection
 * also saves); the attention's dropout (softmax saved the probabilities it would overwrite — try it:
 * backward then fails, naming Softmax and dropout_); the embeddings' sum (in {@code Gpt} itself).
 */
public final class InPlaceModel {
    private InPlaceModel() {}

    /** Replaces every block of {@code model} by its in-place form, in place (the parameters stay). */
    public static Gpt apply(Gpt model) {
        for (int i = 0; i < model.config().layers(); i++) model.replaceBlock(i, new InPlaceBlock(model.blocks().get(i)));
        return model;
    }

    /** Replaces every block's GELU by a ReLU (a model whose activation can work in place). */
    public static Gpt withRelu(Gpt model) {
        for (Layer block : model.blocks()) block.children().get("mlp").replaceChild("gelu", new Relu());
        return model;
    }

    /** A pre-norm block whose residual adds write into the branch outputs. Parts: the replaced block's. */
    static final class InPlaceBlock extends Layer {
        InPlaceBlock(Layer block) {
            if (!(block instanceof Block)) {
                throw new IllegalArgumentException("expected a Block to rewrite, got " + block.getClass().getSimpleName());
            }
            var parts = block.children();
            child("norm1", parts.get("norm1"));
            child("attn", new InPlaceAttention(parts.get("attn")));
            child("norm2", parts.get("norm2"));
            child("mlp", new InPlaceMlp(parts.get("mlp")));
        }

        @Override
        public Tensor forward(Tensor x) {                          // x: (B, T, C)
            Tensor h = part("norm1").forward(x);
            Tensor x1 = InPlace.add(part("attn").forward(h), x);   // the attention's output becomes x + it
            h.release();
            Tensor h2 = part("norm2").forward(x1);
            Tensor x2 = InPlace.add(part("mlp").forward(h2), x1);  // the MLP's output becomes x1 + it
            h2.release();
            x1.release();
            return x2;                                             // (B, T, C)
        }
    }

    /** Causal self-attention with its scale, mask, softmax and residual dropout in place. */
    static final class InPlaceAttention extends Layer {
        private final int heads;
        private final boolean causal;

        InPlaceAttention(Layer attention) {
            var mha = (MultiHeadAttention) attention;
            this.causal = mha.isCausal();
            var parts = attention.children();
            child("qkv", new InPlaceLinear(parts.get("qkv")));
            child("proj", new InPlaceLinear(parts.get("proj")));
            child("attentionDropout", parts.get("attentionDropout"));
            child("residualDropout", parts.get("residualDropout"));
            this.heads = mha.heads();
        }

        @Override
        public Tensor forward(Tensor x) {
            long b = x.size(0);
            long t = x.size(1);
            long c = x.size(2);
            long d = c / heads;
            Tensor qkvOut = part("qkv").forward(x);                              // (B, T, 3C)
            Tensor q = split(qkvOut.slice(2, 0, c), b, t, d);                    // (B, H, T, D)
            Tensor k = split(qkvOut.slice(2, c, c), b, t, d);
            Tensor v = split(qkvOut.slice(2, 2 * c, c), b, t, d);
            qkvOut.release();
            Tensor scores = LinearAlgebra.matmul(q, k, false, true);             // (B, H, T, T): saved by nobody
            q.release();
            k.release();
            InPlace.scale(scores, 1.0 / Math.sqrt(d));
            if (causal) InPlace.causalMask(scores);
            InPlace.softmax(scores);                                             // now the probabilities, saved
            Tensor dropped = part("attentionDropout").forward(scores);           // out of place: softmax saved them
            scores.release();
            Tensor y = dropped.matmul(v);                                        // (B, H, T, D)
            dropped.release();
            v.release();
            Tensor permuted = y.permute(0, 2, 1, 3);
            y.release();
            Tensor merged = permuted.reshape(b, t, c);                           // (B, T, C)
            permuted.release();
            Tensor projected = part("proj").forward(merged);                     // saved by nobody
            merged.release();
            var dropout = (Dropout) part("residualDropout");
            return InPlace.dropout(projected, dropout.probability(), dropout.isTraining());
        }

        private Tensor split(Tensor part, long b, long t, long d) {
            Tensor r = part.reshape(b, t, heads, d);
            part.release();
            Tensor out = r.permute(0, 2, 1, 3);
            r.release();
            return out;
        }
    }

    /** x·W, then b added into it in place (x·W is saved by nobody). Parameters: the replaced layer's. */
    static final class InPlaceLinear extends Layer {
        private final Tensor weight;
        private final Tensor bias;

        InPlaceLinear(Layer linear) {
            var params = linear.namedParameters();
            this.weight = parameter("weight", params.get("weight"));
            this.bias = params.containsKey("bias") ? parameter("bias", params.get("bias")) : null;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = LinearAlgebra.matmul(x, weight, false, false);           // (…, out)
            return bias == null ? y : InPlace.add(y, bias);
        }
    }

    /** The MLP with its ReLU (if it has one) and its dropout in place; GELU stays out of place. */
    static final class InPlaceMlp extends Layer {
        InPlaceMlp(Layer mlp) {
            var parts = mlp.children();
            child("fc", new InPlaceLinear(parts.get("fc")));
            child("gelu", parts.get("gelu"));
            child("proj", new InPlaceLinear(parts.get("proj")));
            child("dropout", parts.get("dropout"));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = part("fc").forward(x);                                    // (B, T, 4C)
            Tensor a;
            if (part("gelu") instanceof Relu) {
                a = InPlace.relu(h);                                             // h becomes ReLU(h), saved
            } else if (!GradMode.isEnabled()) {
                a = InPlace.gelu(h);                                             // inference: nothing saves h
            } else {
                a = part("gelu").forward(h);                                     // GELU saves h: not in place
                h.release();
            }
            Tensor y = part("proj").forward(a);
            a.release();
            var dropout = (Dropout) part("dropout");
            return InPlace.dropout(y, dropout.probability(), dropout.isTraining());
        }
    }
}
