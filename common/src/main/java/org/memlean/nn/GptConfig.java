package org.memlean.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The shape of a small transformer. Build it by name from the defaults —
 * {@code GptConfig.defaults().withLayers(16).withChannels(32)} — not positionally. The defaults
 * learn the course's synthetic task in seconds on 2 cores.
 *
 * @param vocabSize V, number of token ids (default 11: ten digits and a separator)
 * @param blockSize longest sequence T the position table holds (default 16)
 * @param layers L, transformer blocks (default 2)
 * @param heads H, attention heads (default 4)
 * @param channels C, the residual width (default 64; D = C / H = 16)
 * @param dropout dropout probability everywhere (default 0.0: deterministic steps)
 * @param dataType storage dtype of parameters (default FLOAT)
 * @param causal whether attention sees only the past (default true: a GPT; false: a BERT-style encoder)
 */
public record GptConfig(int vocabSize, int blockSize, int layers, int heads, int channels, double dropout,
                        DataType dataType, boolean causal) {
    public GptConfig {
        if (vocabSize <= 0 || blockSize <= 0 || layers <= 0 || heads <= 0 || channels <= 0) {
            throw new IllegalArgumentException("GptConfig sizes must be positive: vocabSize " + vocabSize
                    + ", blockSize " + blockSize + ", layers " + layers + ", heads " + heads + ", channels " + channels);
        }
        if (channels % heads != 0) {
            throw new IllegalArgumentException("channels " + channels + " must be a multiple of heads " + heads);
        }
        if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        if (dataType == null) throw new IllegalArgumentException("dataType is required");
    }

    /** The course's default small GPT. */
    public static GptConfig defaults() {
        return new GptConfig(11, 16, 2, 4, 64, 0.0, DataType.FLOAT, true);
    }

    public GptConfig withVocabSize(int vocabSize) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType, causal);
    }

    public GptConfig withBlockSize(int blockSize) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType, causal);
    }

    public GptConfig withLayers(int layers) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType, causal);
    }

    public GptConfig withHeads(int heads) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType, causal);
    }

    public GptConfig withChannels(int channels) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType, causal);
    }

    public GptConfig withDropout(double dropout) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType, causal);
    }

    public GptConfig withDataType(DataType dataType) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType, causal);
    }

    public GptConfig withCausal(boolean causal) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType, causal);
    }

    /** Parameters of one block: two layer norms, qkv, the attention projection, the MLP. */
    public long blockParameterCount() {
        long c = channels;
        return 2 * (2 * c)                       // two layer norms
                + (c * 3 * c + 3 * c)            // qkv
                + (c * c + c)                    // attention projection
                + (c * 4 * c + 4 * c)            // mlp fc
                + (4 * c * c + c);               // mlp proj
    }

    /**
     * Every parameter's name and shape, in the order the model registers them, without building it
     * (for sizes no laptop holds: a calculator's input). {@code GptShapesTest} checks it against the
     * modules' own parameters.
     */
    public Map<String, long[]> parameterShapes() {
        long c = channels;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("tokens.weight", new long[] {vocabSize, c});
        shapes.put("positions.weight", new long[] {blockSize, c});
        for (int i = 0; i < layers; i++) {
            String b = "blocks." + i + ".";
            shapes.put(b + "norm1.gamma", new long[] {c});
            shapes.put(b + "norm1.beta", new long[] {c});
            shapes.put(b + "attn.qkv.weight", new long[] {c, 3 * c});
            shapes.put(b + "attn.qkv.bias", new long[] {3 * c});
            shapes.put(b + "attn.proj.weight", new long[] {c, c});
            shapes.put(b + "attn.proj.bias", new long[] {c});
            shapes.put(b + "norm2.gamma", new long[] {c});
            shapes.put(b + "norm2.beta", new long[] {c});
            shapes.put(b + "mlp.fc.weight", new long[] {c, 4 * c});
            shapes.put(b + "mlp.fc.bias", new long[] {4 * c});
            shapes.put(b + "mlp.proj.weight", new long[] {4 * c, c});
            shapes.put(b + "mlp.proj.bias", new long[] {c});
        }
        shapes.put("norm.gamma", new long[] {c});
        shapes.put("norm.beta", new long[] {c});
        shapes.put("head.weight", new long[] {c, vocabSize});
        return shapes;
    }

    /** Parameter count, by formula: embeddings + L blocks + final norm + head (no bias). */
    public long parameterCount() {
        long c = channels;
        return (long) vocabSize * c + (long) blockSize * c + layers * blockParameterCount() + 2 * c + c * vocabSize;
    }

    // ---- the activation memory model: the one place it is written (anatomy, chapters 1–3 use it) ----

    /**
     * Values one block saves for backward at batch B and length T (dropout off): 16·BTC — the two
     * layer norms' inputs, the four linear layers' inputs, q, k and v, the GELU's input and output
     * (4C wide each) — plus B·H·T² (the softmax output, which the next matmul shares) plus 4·BT (each
     * layer norm's per-row mean and 1/std). Korthikanti et al. 2022 (§4.1, eq. 1) count sbh(34 + 5as/h)
     * bytes at 2 bytes a value with 1-byte dropout masks; without dropout that is 16·sbh + as²b values,
     * these 16·BTC + BHT² (they leave the 4·BT statistics out).
     */
    public long blockSavedValues(long b, long t) {
        return 16 * b * t * channels + b * heads * t * t + 4 * b * t;
    }

    /**
     * Values saved after the blocks: the final norm (BTC + 2·BT), the head's input (BTC) and the
     * loss's log-probabilities (B·N·V for a loss over the last N positions).
     */
    public long headSavedValues(long b, long t, long n) {
        return 2 * b * t * channels + 2 * b * t + b * n * vocabSize;
    }

    /**
     * What dropout (p > 0, training) adds to {@link #savedActivationBytes}: each dropout saves its
     * mask (its input's size and dtype) — in every block the attention's (B·H·T²), the attention's
     * residual branch's and the MLP's (B·T·C each) — and the product with V then saves the dropped
     * probabilities beside softmax's own output (another B·H·T²); and the embeddings' dropout its mask
     * (B·T·C). Values: L·(2·BHT² + 2·BTC) + BTC, in this configuration's dtype.
     */
    public long dropoutSavedBytes(long b, long t) {
        if (dropout == 0) return 0;
        long values = layers * (2 * b * heads * t * t + 2 * b * t * channels) + b * t * channels;
        return values * dataType.width();
    }

    /**
     * The most bytes a FLOAT forward pass under no-grad (evaluation, dropout off) holds at once above
     * the parameters and the ids (B, T): nothing is saved, so what counts is what is in flight. It is
     * the largest of three moments, read from the ops' code and checked against the meter
     * ({@code NoBugsTest.aNoGradForwardPeaksAtTheInferenceFormulaToTheByte}, chapter 8):
     * <ul>
     *   <li>a block's MLP at its GELU: the block's input x, the residual sum x1, the MLP's input, and
     *       three 4C-wide buffers (the first projection's output, the GELU's output and its scratch) —
     *       15·BTC values, and a 4-byte scalar;</li>
     *   <li>the attention at its causal mask: x, the norm's output, v, the scaled scores and their
     *       masked copy (B·H·T² each) and the T×T mask — 3·BTC + 2·BHT² + T² values;</li>
     *   <li>the head: the final norm's output and the logits — BTC + BTV values.</li>
     * </ul>
     */
    public long inferenceInFlightBytes(long b, long t) {
        long c = channels;
        long mlp = 4 * 15 * b * t * c + 4;
        long attention = 4 * (3 * b * t * c + 2 * b * heads * t * t + t * t);
        long head = 4 * (b * t * c + b * t * vocabSize);
        return Math.max(mlp, Math.max(attention, head));
    }

    /** The peak of a no-grad forward of ids (B, T): parameters, the ids, and {@link #inferenceInFlightBytes}. */
    public long inferencePeakBytes(long b, long t) {
        return 4 * parameterCount() + 4 * b * t + inferenceInFlightBytes(b, t);
    }

    /** Values the layer norms save as per-row statistics (mean and 1/std of 2L + 1 norms): FLOAT in every dtype. */
    public long normStatisticValues(long b, long t) {
        return (2L * layers + 1) * 2 * b * t;
    }

    /**
     * Bytes of activations saved at the end of forward (dropout off), everything stored in this
     * configuration's dtype: 4 bytes a value in FLOAT; in HALF or BFLOAT16 2 bytes a value, except the
     * layer norms' statistics, which stay FLOAT as PyTorch keeps them.
     */
    public long savedActivationBytes(long b, long t, long n) {
        long values = layers * blockSavedValues(b, t) + headSavedValues(b, t, n);
        if (dataType == DataType.FLOAT) return 4 * values;
        long statistics = normStatisticValues(b, t);
        return dataType.width() * (values - statistics) + 4 * statistics;
    }

    /**
     * Bytes of activations saved at the end of forward under autocast to a 2-byte type (HALF or
     * BFLOAT16) with FLOAT weights (dropout off). Per block: the two layer norms still save their
     * FLOAT inputs (2·BTC·4) and FLOAT mean and 1/std (4·BT·4); softmax runs in FLOAT and saves its
     * FLOAT output (B·H·T²·4), and the next matmul saves a low-precision copy of it too (B·H·T²·2); the
     * four linear layers and the attention matmuls save low-precision inputs — q, k, v, the merged
     * heads, the two norm outputs, the GELU's input and output: 14·BTC·2 — and low-precision copies
     * of the four weight matrices (12·C²·2). After the blocks: the final norm (BTC·4 + 2·BT·4), the
     * head's low-precision input and weight copy (BTC·2 + C·V·2), and the loss's FLOAT
     * log-probabilities (B·N·V·4).
     */
    public long autocastSavedActivationBytes(long b, long t, long n) {
        long ch = channels;
        long btc = b * t * ch;
        long bt = b * t;
        long bhtt = b * heads * t * t;
        long block = 2 * btc * 4 + 4 * bt * 4 + bhtt * 4 + bhtt * 2 + 14 * btc * 2 + 12 * ch * ch * 2;
        long head = btc * 4 + 2 * bt * 4 + btc * 2 + ch * vocabSize * 2 + b * n * vocabSize * 4;
        return layers * block + head;
    }
}
