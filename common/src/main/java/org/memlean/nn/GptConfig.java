package org.memlean.nn;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * The shape of a small GPT. The defaults learn the course's synthetic task in seconds on 2 cores.
 *
 * @param vocabSize V, number of token ids (default 11: ten digits and a separator)
 * @param blockSize longest sequence T the position table holds (default 16)
 * @param layers L, transformer blocks (default 2)
 * @param heads H, attention heads (default 4)
 * @param channels C, the residual width (default 64; D = C / H = 16)
 * @param dropout dropout probability everywhere (default 0.0: deterministic steps)
 * @param dataType storage dtype of parameters (default FLOAT)
 */
public record GptConfig(int vocabSize, int blockSize, int layers, int heads, int channels, double dropout,
                        DataType dataType) {
    public GptConfig {
        if (vocabSize <= 0 || blockSize <= 0 || layers <= 0 || heads <= 0 || channels <= 0) {
            throw new IllegalArgumentException("GptConfig sizes must be positive: " + vocabSize + ", " + blockSize
                    + ", " + layers + ", " + heads + ", " + channels);
        }
        if (channels % heads != 0) {
            throw new IllegalArgumentException("channels " + channels + " must be a multiple of heads " + heads);
        }
    }

    /** The course's default small GPT. */
    public static GptConfig defaults() {
        return new GptConfig(11, 16, 2, 4, 64, 0.0, DataType.FLOAT);
    }

    public GptConfig withLayers(int layers) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType);
    }

    public GptConfig withChannels(int channels) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType);
    }

    public GptConfig withDropout(double dropout) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType);
    }

    public GptConfig withDataType(DataType dataType) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType);
    }

    public GptConfig withBlockSize(int blockSize) {
        return new GptConfig(vocabSize, blockSize, layers, heads, channels, dropout, dataType);
    }

    /** Parameter count, by formula: embeddings + L blocks + final norm + head (no bias). */
    public long parameterCount() {
        long c = channels;
        long block = 2 * (2 * c)                 // two layer norms
                + (c * 3 * c + 3 * c)            // qkv
                + (c * c + c)                    // attention projection
                + (c * 4 * c + 4 * c)            // mlp fc
                + (4 * c * c + c);               // mlp proj
        return (long) vocabSize * c + (long) blockSize * c + layers * block + 2 * c + c * vocabSize;
    }
}
