package org.memlean.ch02;

import org.memlean.nn.GptConfig;

/**
 * The chapter's memory model: the highest ACTIVATION reading of a training step, in bytes (FLOAT,
 * dropout off), for each checkpointing policy.
 *
 * <p>One block saves {@code block = 16·BTC + B·H·T² + 4·BT} values, the layers after the blocks save
 * {@code head = 2·BTC + 2·BT + B·N·V} (both from {@link GptConfig}, the one place they are written). Plain training holds every block and the head at the end of
 * forward. Segments of k blocks keep each segment's input (BTC) through forward; in backward, the
 * segment being recomputed holds its k blocks again — except its first block's input, which is
 * the kept segment input itself (the same memory).
 */
public record Formula(GptConfig config, long batch, long time, long answer) {
    long btc() {
        return batch * time * config.channels();
    }

    long block() {
        return config.blockSavedValues(batch, time);
    }

    long head() {
        return config.headSavedValues(batch, time, answer);
    }

    /** No checkpointing: L blocks and the head, all at the end of forward. */
    public long plain() {
        return 4 * (config.layers() * block() + head());
    }

    /** Segments of {@code k} blocks: L/k inputs, plus the larger of the head and one recomputed segment. */
    public long segments(int k) {
        long count = (config.layers() + k - 1) / k;
        long kept = count * btc();
        long recomputed = k * block() - btc();
        return 4 * (kept + Math.max(head(), recomputed));
    }

    public long of(CheckpointingChapter.Policy policy) {
        return switch (policy) {
            case NONE -> plain();
            case EVERY_BLOCK -> segments(1);
            case SQRT_SEGMENTS -> segments(Checkpoint.sqrt(config.layers()));
            case ATTENTION_AND_MLP -> -1; // measured, not modelled (see the chapter text)
        };
    }
}
