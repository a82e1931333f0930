package org.memlean.tensor;

import java.util.Random;
import java.util.SplittableRandom;
import org.memlean.memory.Memory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The framework's random numbers (dropout masks, initialisation), per thread and reproducible from
 * a seed. The whole random state is one {@code long} that {@link #state()} reads and
 * {@link #restore(long)} puts back — what activation
 * checkpointing needs to redraw the same dropout mask in its recomputation.
 */
public final class Rng {
    private static final ThreadLocal<Rng> CURRENT = ThreadLocal.withInitial(() -> new Rng(42));

    private long state;

    private Rng(long seed) {
        this.state = seed;
    }

    /** Reseeds the calling thread's generator. */
    public static void seed(long seed) {
        CURRENT.get().state = seed;
    }

    /**
     * Seeds the calling thread's generator with stream {@code stream} of {@code seed}: simulated
     * ranks seed (seed, rank) and so draw different, reproducible numbers. Stream 0 of a seed is
     * not the same as {@link #seed(long)} of it.
     */
    public static void seed(long seed, int stream) {
        if (stream < 0) throw new IllegalArgumentException("a random stream number must be ≥ 0, got " + stream);
        CURRENT.get().state = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (stream + 1L))).nextLong();
    }

    /** The calling thread's generator state. */
    public static long state() {
        return CURRENT.get().state;
    }

    /** Puts back a state read by {@link #state()}. */
    public static void restore(long state) {
        CURRENT.get().state = state;
    }

    /** The next 64 random bits (SplitMix64 step, so the state is a single long). */
    public static long nextLong() {
        Rng r = CURRENT.get();
        SplittableRandom step = new SplittableRandom(r.state);
        long value = step.nextLong();
        r.state = step.nextLong();
        return value;
    }

    /** Fills {@code out} with uniform numbers in [0, 1). */
    static void uniform(INDArray out) {
        SplittableRandom draw = new SplittableRandom(nextLong());
        float[] values = new float[(int) out.length()];
        for (int i = 0; i < values.length; i++) values[i] = (float) draw.nextDouble();
        copyInto(out, values);
    }

    /** Fills {@code out} with normal numbers of mean 0 and the given standard deviation. */
    static void normal(INDArray out, double std) {
        Random draw = new Random(nextLong());
        float[] values = new float[(int) out.length()];
        for (int i = 0; i < values.length; i++) values[i] = (float) (draw.nextGaussian() * std);
        copyInto(out, values);
    }

    /**
     * Numbers are drawn in Java, not by ND4J's native generator: its generator object allocates
     * native memory of its own that the ledger cannot see, and its state cannot be read back.
     * The staging copy is counted as TEMPORARY and freed at once.
     */
    private static void copyInto(INDArray out, float[] values) {
        Memory.fill(out, values);
    }
}
