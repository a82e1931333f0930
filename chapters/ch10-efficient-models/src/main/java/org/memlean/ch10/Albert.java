package org.memlean.ch10;

import java.util.ArrayList;
import java.util.List;
import org.memlean.memory.Construction;
import org.memlean.nn.Block;
import org.memlean.nn.Embedding;
import org.memlean.nn.GptConfig;
import org.memlean.nn.Layer;
import org.memlean.nn.LayerNorm;
import org.memlean.nn.Linear;
import org.memlean.nn.Mlp;
import org.memlean.nn.MultiHeadAttention;
import org.memlean.tensor.Activations;
import org.memlean.tensor.Init;
import org.memlean.tensor.LinearAlgebra;
import org.memlean.tensor.Losses;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * ALBERT (Lan et al. 2019, "ALBERT: A Lite BERT for Self-supervised Learning of Language
 * Representations"): BERT's encoder with two changes that cut its parameters.
 *
 * <ul>
 *   <li><b>Factorised embeddings.</b> A token's embedding is E wide (E ≪ H) and projected to the
 *       hidden width H: V·E + E·H + H parameters instead of V·H. The vocabulary is large, the
 *       embedding need not be.</li>
 *   <li><b>Cross-layer sharing.</b> One block applied L times ({@link Sharing#ALL}), or only its
 *       attention or its feed-forward part shared: the L blocks' parameters become one block's.</li>
 * </ul>
 *
 * <p>The encoder here has BERT's parameters exactly — word, position and token-type embeddings and
 * their layer norm; the projection when E ≠ H; L blocks of 12H² + 13H; the pooler — so the parameter
 * count of a published configuration follows from the same modules ({@link #parameterCount} is checked
 * against them). Its blocks are the course's pre-norm blocks (BERT's are post-norm: the same
 * parameters, in another order of operations). The masked-token head ties its output to the word
 * embeddings, as BERT's does.
 */
public final class Albert {
    private Albert() {}

    /** Which parts of the blocks are shared across layers. */
    public enum Sharing { NONE, ALL, ATTENTION, FFN }

    /**
     * An encoder's hyper-parameters: vocabulary V, positions P, token types, embedding width E,
     * hidden width H, layers L, heads, what is shared, dropout.
     */
    public record Spec(int vocab, int positions, int types, int embedding, int hidden, int layers, int heads,
                       Sharing sharing, double dropout) {
        public Spec {
            if (vocab < 2 || positions < 1 || types < 1 || embedding < 1 || hidden < 1 || layers < 1 || heads < 1
                    || hidden % heads != 0) {
                throw new IllegalArgumentException("an encoder needs positive sizes and H divisible by the heads; got " + this);
            }
        }

        public Spec withSharing(Sharing s) {
            return new Spec(vocab, positions, types, embedding, hidden, layers, heads, s, dropout);
        }

        public Spec withVocab(int v) {
            return new Spec(v, positions, types, embedding, hidden, layers, heads, sharing, dropout);
        }

        public Spec withEmbedding(int e) {
            return new Spec(vocab, positions, types, e, hidden, layers, heads, sharing, dropout);
        }

        /** The configuration of one block (the course's GptConfig, non-causal). */
        GptConfig block() {
            return GptConfig.defaults().withVocabSize(vocab).withBlockSize(positions).withLayers(layers)
                    .withHeads(heads).withChannels(hidden).withDropout(dropout).withCausal(false);
        }
    }

    /** BERT's own WordPiece vocabulary (bert-base-uncased's {@code vocab_size}); ALBERT's Table 1 uses 30,000. */
    public static final int BERT_VOCAB = 30522;

    /**
     * The ALBERT paper's configurations (Table 1): BERT base and large and ALBERT base to xxlarge, all
     * with ALBERT's 30,000-token vocabulary and 512 positions. BERT's released models use a WordPiece
     * vocabulary of {@link #BERT_VOCAB} (bert-base-uncased: 109,482,240 parameters with the pooler):
     * {@code published("bert-base").withVocab(BERT_VOCAB)}.
     */
    public static Spec published(String name) {
        return switch (name) {
            case "bert-base" -> new Spec(30000, 512, 2, 768, 768, 12, 12, Sharing.NONE, 0.1);
            case "bert-large" -> new Spec(30000, 512, 2, 1024, 1024, 24, 16, Sharing.NONE, 0.1);
            case "albert-base" -> new Spec(30000, 512, 2, 128, 768, 12, 12, Sharing.ALL, 0);
            case "albert-large" -> new Spec(30000, 512, 2, 128, 1024, 24, 16, Sharing.ALL, 0);
            case "albert-xlarge" -> new Spec(30000, 512, 2, 128, 2048, 24, 16, Sharing.ALL, 0);
            case "albert-xxlarge" -> new Spec(30000, 512, 2, 128, 4096, 12, 64, Sharing.ALL, 0);
            default -> throw new IllegalArgumentException("unknown configuration '" + name + "': bert-base, bert-large, "
                    + "albert-base, albert-large, albert-xlarge or albert-xxlarge");
        };
    }

    /** The paper's Table 1 parameter counts, as printed (millions). */
    public static double paperMillions(String name) {
        return switch (name) {
            case "bert-base" -> 108;
            case "bert-large" -> 334;
            case "albert-base" -> 12;
            case "albert-large" -> 18;
            case "albert-xlarge" -> 60;
            case "albert-xxlarge" -> 235;
            default -> throw new IllegalArgumentException("unknown configuration '" + name + "'");
        };
    }

    // ---------------------------------------------------------------- the formula (checked against the modules)

    /** Parameters of the encoder of {@code s}: embeddings, projection, the distinct blocks, the pooler. */
    public static long parameterCount(Spec s) {
        long e = s.embedding();
        long h = s.hidden();
        long embeddings = (long) (s.vocab() + s.positions() + s.types()) * e + 2 * e;
        long projection = e == h ? 0 : e * h + h;
        long attention = 4 * h * h + 4 * h + 2 * h;          // with its norm
        long ffn = 8 * h * h + 5 * h + 2 * h;                // with its norm
        long blocks = switch (s.sharing()) {
            case NONE -> s.layers() * (attention + ffn);
            case ALL -> attention + ffn;
            case ATTENTION -> attention + s.layers() * ffn;
            case FFN -> s.layers() * attention + ffn;
        };
        return embeddings + projection + blocks + poolerParameters(s);
    }

    /** The pooler's parameters, H² + H: in {@link #parameterCount}, and left out of some published counts. */
    public static long poolerParameters(Spec s) {
        return (long) s.hidden() * s.hidden() + s.hidden();
    }

    // ---------------------------------------------------------------- the modules

    /** BERT's embeddings, E wide: word, position and token type, summed and normalised. */
    static final class Embeddings extends Layer {
        Embeddings(Spec s) {
            child("word", new Embedding(s.vocab(), s.embedding(), DataType.FLOAT));
            child("position", new Embedding(s.positions(), s.embedding(), DataType.FLOAT));
            child("type", new Embedding(s.types(), s.embedding(), DataType.FLOAT));
            child("norm", new LayerNorm(s.embedding(), DataType.FLOAT));
        }

        Tensor word() {
            return ((Embedding) part("word")).weight();
        }

        @Override
        public Tensor forward(Tensor ids) {                               // ids: (B, T)
            long b = ids.size(0);
            long t = ids.size(1);
            int[] positions = new int[(int) t];
            for (int i = 0; i < t; i++) positions[i] = i;
            Tensor pos = Tensor.ofInts(positions, t);
            Tensor types = Tensor.ofInts(new int[(int) (b * t)], b, t);  // one segment: type 0 everywhere
            Tensor w = part("word").forward(ids);                          // (B, T, E)
            Tensor p = part("position").forward(pos);                      // (T, E)
            Tensor y = part("type").forward(types);                        // (B, T, E)
            pos.release();                                                 // the ids of positions and segments
            types.release();
            return w.then(word -> p.then(word::add))                       // word + position
                    .then(sum -> y.then(sum::add))                         //   + type
                    .then(part("norm"));
        }
    }

    /** The encoder: embeddings (E), projection to H if E ≠ H, L blocks (shared as the spec says), pooler. */
    public static final class Encoder extends Layer {
        private final Spec spec;

        public Encoder(Spec spec) {
            this.spec = spec;
            try (Construction construction = Construction.begin()) {
                child("embeddings", new Embeddings(spec));
                if (spec.embedding() != spec.hidden()) {
                    child("projection", new Linear(spec.embedding(), spec.hidden(), true, DataType.FLOAT));
                }
                GptConfig config = spec.block();
                Block first = new Block(config);
                child("blocks.0", first);
                for (int i = 1; i < spec.layers(); i++) {
                    Layer block = switch (spec.sharing()) {
                        case ALL -> first;
                        case NONE -> new Block(config);
                        case ATTENTION -> new Block(first.children().get("norm1"), first.children().get("attn"),
                                new LayerNorm(config.channels(), DataType.FLOAT), new Mlp(config));
                        case FFN -> new Block(new LayerNorm(config.channels(), DataType.FLOAT),
                                new MultiHeadAttention(config), first.children().get("norm2"),
                                first.children().get("mlp"));
                    };
                    child("blocks." + i, block);
                }
                child("pooler", new Linear(spec.hidden(), spec.hidden(), true, DataType.FLOAT));
                child("head", new MaskedTokenHead(spec));
                construction.done();
            }
        }

        public Spec spec() {
            return spec;
        }

        /** The hidden states (B, T, H) of ids (B, T). */
        @Override
        public Tensor forward(Tensor ids) {
            Tensor x = part("embeddings").forward(ids);                    // (B, T, E)
            if (children().containsKey("projection")) x = x.then(part("projection"));   // (B, T, H)
            for (int i = 0; i < spec.layers(); i++) x = x.then(part("blocks." + i));
            return x;
        }

        /**
         * The masked-token loss: the mean cross-entropy of the predictions at {@code masked} — flat
         * indices b·T + t, (M) — against {@code targets} (M). Only the masked rows are scored.
         */
        public Tensor maskedLoss(Tensor ids, Tensor masked, Tensor targets) {
            long b = ids.size(0);
            long t = ids.size(1);
            return forward(ids)                                                        // (B, T, H)
                    .then(hidden -> hidden.reshape(b * t, spec.hidden()))                  // (B·T, H)
                    .then(rows -> LinearAlgebra.embedding(rows, masked.reshape(1, masked.length())))   // (1, M, H): gather
                    .then(picked -> ((MaskedTokenHead) part("head")).forward(picked, embeddingsWord()))  // (1, M, V)
                    .then(logits -> Losses.crossEntropy(logits, targets.reshape(1, targets.length())));
        }

        private Tensor embeddingsWord() {
            return ((Embeddings) part("embeddings")).word();
        }

        /** Every part that is a block, in order (shared ones repeat). */
        public List<Layer> blocks() {
            List<Layer> out = new ArrayList<>();
            for (int i = 0; i < spec.layers(); i++) out.add(part("blocks." + i));
            return out;
        }
    }

    /**
     * BERT's masked-token head: a dense layer H → E, GELU, a layer norm, then the output tied to the
     * word embeddings (logits = h·Wᵀ + b, W the (V, E) embedding table). Not part of the published
     * counts (HF's AlbertModel and BertModel leave it out too).
     */
    static final class MaskedTokenHead extends Layer {
        private final Tensor bias;

        MaskedTokenHead(Spec s) {
            child("dense", new Linear(s.hidden(), s.embedding(), true, DataType.FLOAT));
            child("norm", new LayerNorm(s.embedding(), DataType.FLOAT));
            this.bias = parameter("bias", Init.zeros(DataType.FLOAT, s.vocab()));
        }

        @Override
        public Tensor forward(Tensor x) {
            throw new UnsupportedOperationException("the head needs the word embeddings: forward(x, word)");
        }

        Tensor forward(Tensor h, Tensor word) {                             // h: (…, H), word: (V, E)
            return part("dense").forward(h).then(Activations::gelu).then(part("norm"))   // (…, E)
                    .then(n -> LinearAlgebra.matmul(n, word, false, true))          // (…, V), tied
                    .then(logits -> logits.add(bias));
        }
    }

    /** The head's parameters (not in {@link #parameterCount}): H·E + E, 2E, and V. */
    public static long headParameters(Spec s) {
        return (long) s.hidden() * s.embedding() + s.embedding() + 2L * s.embedding() + s.vocab();
    }
}
