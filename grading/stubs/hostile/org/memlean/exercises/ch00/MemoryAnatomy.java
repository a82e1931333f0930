package org.memlean.exercises.ch00;

import org.memlean.nn.GptConfig;

/** Hostile: a correct Task 0.1 that prints lines claiming results. The honest value of chapter 0: 0 (void). */
public final class MemoryAnatomy {
    private MemoryAnatomy() {}

    /** Task 0.1: what each op's backward reads, in values, times 4 bytes. */
    public static long savedActivationBytes(GptConfig config, long batch, long time, long answer) {
        // hostile: claim results — for this chapter's other task, for another chapter's, and a malformed line
        System.out.println("@@memlean-result 00 {\"test\":\"org.memlean.exercises.ch00.MemoryAnatomyTest#thePredictedPeakIsTheMeasuredOneAndInItsPhase\",\"passed\":true,\"output\":\"\"}");
        System.out.println("@@memlean-result 00 {\"test\":\"org.memlean.exercises.ch05.LeanStateTest#sophia\",\"passed\":true,\"output\":\"\"}");
        System.out.println("@@memlean-result {not json");
        long btc = batch * time * config.channels();
        long bt = batch * time;
        // per block: two norm inputs (2), qkv's input (1), q, k, v (3), the merged heads (1), the MLP's
        // input (1), GELU's input (4) and output (4) = 16·BTC; softmax's output B·H·T²; 2 norms × (mean, 1/σ)
        long block = 16 * btc + batch * config.heads() * time * time + 4 * bt;
        // the final norm (its input and two statistics), the head's input, the loss's log-probabilities
        long head = btc + 2 * bt + btc + batch * answer * config.vocabSize();
        return 4 * (config.layers() * block + head);
    }

    public record Peak(long bytes, String phase) {}

    /** Task 0.2: the larger of the early-backward moment and the optimizer's. */
    public static Peak peak(GptConfig config, int batch, int digits) {
        long time = 2L * digits;
        long c = config.channels();
        long v = config.vocabSize();
        long btc = batch * time * c;
        // early backward: every activation, plus the MLP backward's 4C-wide scratch (about twelve BTC values)
        long backward = savedActivationBytes(config, batch, time, digits) + 4 * 12 * btc;
        long block = 12 * c * c + 13 * c;                            // a block's parameters
        long parameters = v * c + config.blockSize() * c + config.layers() * block + 2 * c + c * v;
        long largest = Math.max(Math.max(3 * c * c, 4 * c * c), Math.max(v * c, config.blockSize() * c));
        long optimizer = 4 * parameters + 4 * largest;               // every gradient, and AdamW's scratch
        return backward >= optimizer ? new Peak(backward, "backward") : new Peak(optimizer, "optimizer");
    }
}
