package org.memlean.tensor;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.UniformDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The framework's random numbers (dropout masks, initialisation), per thread and reproducible from
 * a seed. Each draw seeds ND4J's generator from a Java one, so the whole random state is one
 * {@code long} that {@link #state()} reads and {@link #restore(long)} puts back — what activation
 * checkpointing needs to redraw the same dropout mask in its recomputation.
 */
public final class Rng {
    private static final ThreadLocal<Rng> CURRENT = ThreadLocal.withInitial(() -> new Rng(42));

    private long state;
    private Random native_;

    private Rng(long seed) {
        this.state = seed;
    }

    /** Reseeds the calling thread's generator. */
    public static void seed(long seed) {
        CURRENT.get().state = seed;
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
        Rng r = CURRENT.get();
        if (r.native_ == null) r.native_ = Nd4j.getRandomFactory().getNewRandomInstance(1);
        r.native_.setSeed(nextLong());
        Kernels.run("uniform", () -> Nd4j.getExecutioner().exec(new UniformDistribution(out, 0, 1), r.native_));
    }

    /** Fills {@code out} with normal numbers of mean 0 and the given standard deviation. */
    static void normal(INDArray out, double std) {
        Rng r = CURRENT.get();
        if (r.native_ == null) r.native_ = Nd4j.getRandomFactory().getNewRandomInstance(1);
        r.native_.setSeed(nextLong());
        Kernels.run("normal", () -> Nd4j.getExecutioner().exec(
                new org.nd4j.linalg.api.ops.random.impl.GaussianDistribution(out, 0, std), r.native_));
    }
}
