package org.memlean.tensor;

/**
 * Whether autograd records Functions on the calling thread. Under {@link #noGrad()} no AutogradFunction is
 * recorded, so nothing is saved for backward: inference keeps no activations.
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** A scope in which no op records itself; restores the previous mode on close. */
    public static Guard noGrad() {
        return set(false);
    }

    /** A scope in which ops record themselves again (inside a no-grad region). */
    public static Guard enableGrad() {
        return set(true);
    }

    private static Guard set(boolean enabled) {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = enabled;
        return () -> flag[0] = previous;
    }

    /** Grad mode on, as a fresh thread has it (for code that runs tasks one after another: the grader). */
    public static void reset() {
        ENABLED.get()[0] = true;
    }

    /** Restores the previous grad mode. */
    @FunctionalInterface
    public interface Guard extends AutoCloseable {
        @Override
        void close();
    }
}
