package org.memlean.memory;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The {@link Listener}s registered on each thread, and the three notifications the framework sends them. */
public final class Listeners {
    private static final ThreadLocal<List<Listener>> REGISTERED = ThreadLocal.withInitial(ArrayList::new);

    private Listeners() {}

    /** Starts notifying {@code listener} of the calling thread's native work. */
    public static void add(Listener listener) {
        REGISTERED.get().add(listener);
    }

    /** Stops notifying {@code listener}. */
    public static void remove(Listener listener) {
        REGISTERED.get().remove(listener);
    }

    /** Stops notifying every listener of the calling thread (the grader, between tasks). */
    public static void clear() {
        REGISTERED.get().clear();
    }

    /** The listeners registered on the calling thread, in order (a copy). */
    public static List<Listener> registered() {
        return List.copyOf(REGISTERED.get());
    }

    static void allocated(Storage storage) {
        List<Listener> all = REGISTERED.get();
        for (int i = 0; i < all.size(); i++) all.get(i).allocated(storage);
    }

    /** Whether some listener keeps the array alive (so the framework must not close it). */
    static boolean releasing(Storage storage, INDArray array) {
        List<Listener> all = REGISTERED.get();
        boolean kept = false;
        for (int i = 0; i < all.size(); i++) kept |= all.get(i).releasing(storage, array);
        return kept;
    }

    /** Tells every listener of the calling thread what a collective sent and received. */
    public static void communicated(long sentBytes, long receivedBytes) {
        List<Listener> all = REGISTERED.get();
        for (int i = 0; i < all.size(); i++) all.get(i).communicated(sentBytes, receivedBytes);
    }

    /** Tells every listener a kernel is about to run. */
    public static void kernel(String name, long flops, Runnable call) {
        List<Listener> all = REGISTERED.get();
        for (int i = 0; i < all.size(); i++) all.get(i).kernel(name, flops, call);
    }
}
