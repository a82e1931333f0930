package org.memlean.exercises.ch05;

/**
 * Task 5.2: block-wise 8-bit quantisation of an optimizer's moment, the idea of 8-bit Adam (with a
 * linear map here, where bitsandbytes uses a dynamic one): cut the values into blocks of
 * {@code block} elements (the last one may be shorter), keep one float32 scale per block — its
 * largest absolute value — and for each element one signed byte: its value over the scale, times 127,
 * rounded.
 * <p>Graded: the codes take one byte an element and the scales four bytes a block; every value comes
 * back within half a code's step of its block (scale / 254); a block of zeros comes back as zeros.
 * <p>Hints: why one scale per block rather than one per tensor (what does a single large value do to
 * the small ones)? What is the worst error of rounding to the nearest of 255 evenly spaced values?
 */
public final class BlockQuantiser {
    private BlockQuantiser() {}

    /** The codes (one byte an element) and the scales (one float a block). */
    public record Quantised(byte[] codes, float[] scales) {}

    public static Quantised quantise(float[] values, int block) {
        throw new UnsupportedOperationException("Task 5.2: quantise — not implemented yet. Hint: absmax per block");
    }

    public static float[] dequantise(Quantised q, int block) {
        throw new UnsupportedOperationException("Task 5.2: dequantise — not implemented yet");
    }
}
