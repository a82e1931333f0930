package org.memlean.ch10;

import java.util.SplittableRandom;
import org.memlean.tensor.Tensor;

/**
 * Small synthetic images for the vision models: noise, with a bright square in one of the four
 * quadrants; the class is the quadrant. (B, 3, S, S) floats and (B) labels.
 */
public final class Quadrants {
    private final int size;
    private final SplittableRandom random;

    public Quadrants(int size, long seed) {
        if (size < 8 || size % 2 != 0) throw new IllegalArgumentException("images need an even size ≥ 8, got " + size);
        this.size = size;
        this.random = new SplittableRandom(seed);
    }

    /** Images (B, 3, S, S) and their quadrants (B, 1) as targets. INPUT memory. */
    public Batch next(int batch) {
        int s = size;
        float[] pixels = new float[batch * 3 * s * s];
        int[] labels = new int[batch];
        for (int b = 0; b < batch; b++) {
            for (int i = b * 3 * s * s; i < (b + 1) * 3 * s * s; i++) pixels[i] = (float) (random.nextGaussian() * 0.3);
            int q = random.nextInt(4);
            labels[b] = q;
            int side = s / 4;
            int top = (q / 2) * (s / 2) + random.nextInt(s / 2 - side + 1);
            int left = (q % 2) * (s / 2) + random.nextInt(s / 2 - side + 1);
            for (int c = 0; c < 3; c++) {
                for (int y = top; y < top + side; y++) {
                    for (int x = left; x < left + side; x++) pixels[((b * 3 + c) * s + y) * s + x] += 1.5f;
                }
            }
        }
        Tensor images = Tensor.of(pixels, batch, 3, s, s);
        return new Batch(images, Tensor.ofInts(labels, batch, 1));
    }

    /** Images (B, 3, S, S), labels (B, 1). */
    public record Batch(Tensor images, Tensor labels) implements AutoCloseable {
        @Override
        public void close() {
            images.release();
            labels.release();
        }
    }
}
