package org.memlean.exercises.ch05;

/** Chapter 5, reasoning questions: the grader checks the answer and then tells you why. */
public final class Questions {
    private Questions() {}

    /**
     * Question 5.3: the source article lists Sophia among the optimizers that save memory. Sophia's
     * optimizer-state bytes over AdamW's, for the same float32 model? Within 1 %.
     */
    public static double sophiaOverAdamW() {
        throw new UnsupportedOperationException("Question 5.3: not answered yet. Hint: what does each keep per parameter?");
    }

    /**
     * Question 5.4: bitsandbytes' 8-bit AdamW since version 0.44: one byte per moment per element and a
     * float32 scale per moment per block of 256. Bytes of optimizer state per parameter? Within 0.1 %.
     */
    public static double eightBitAdamWBytesPerParameter() {
        throw new UnsupportedOperationException("Question 5.4: not answered yet");
    }
}
