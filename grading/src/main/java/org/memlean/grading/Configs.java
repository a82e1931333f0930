package org.memlean.grading;

import java.util.SplittableRandom;
import org.memlean.data.ReversalTask;
import org.memlean.nn.GptConfig;

/** Random GPT configurations of the course's model family, small enough to measure in a second. */
public final class Configs {
    private Configs() {}

    /** 1–3 layers, 1, 2 or 4 heads, 8–16 channels per head, for the reversal task with up to {@code digits} digits. */
    public static GptConfig gpt(SplittableRandom r, int digits) {
        int heads = new int[] {1, 2, 4}[r.nextInt(3)];
        int channels = heads * (8 + 4 * r.nextInt(3));
        return GptConfig.defaults().withLayers(1 + r.nextInt(3)).withHeads(heads).withChannels(channels)
                .withVocabSize(ReversalTask.VOCAB).withBlockSize(2 * digits + r.nextInt(4));
    }

    /** The same, with a vocabulary of 11 to 64 (for counting tasks that never train). */
    public static GptConfig gptAnyVocabulary(SplittableRandom r) {
        return gpt(r, 8).withVocabSize(11 + r.nextInt(54));
    }
}
