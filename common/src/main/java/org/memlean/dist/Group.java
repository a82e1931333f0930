package org.memlean.dist;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.memlean.memory.Bytes;
import org.memlean.memory.Listener;
import org.memlean.memory.Listeners;
import org.memlean.memory.MemoryMeter;
import org.memlean.tensor.Rng;

/**
 * N simulated GPUs: N threads of this process, each with its own memory meter (its "device", with
 * its own budget), its own random stream and its handle on a {@link Collective}. A rank keeps its
 * thread for the group's life, so what it builds stays on its device between steps.
 *
 * <pre>{@code
 * try (Group group = Group.start(4, 64 << 20, Group.DEFAULT_TIMEOUT, seed)) {
 *     List<Double> losses = group.run("step", rank -> replica[rank.index()].step(...));
 * }
 * }</pre>
 *
 * <p>{@link #run} runs a task on every rank at once and returns when all are done. If one throws,
 * the collective is aborted so the others stop at their next (or current) collective, and
 * {@code run} throws one {@link RankFailedException} naming the rank and its error; a rank that
 * stops answering is named by the collective's timeout. Rank 0 runs with the listeners of the
 * calling thread (so {@code Work.count()} around {@code run} counts rank 0's kernels).
 */
public final class Group implements AutoCloseable {
    /** How long a rank waits at a collective for the others before the group fails. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final List<Collective> collectives;
    private final List<ExecutorService> threads = new ArrayList<>();
    private final List<MemoryMeter> meters = new ArrayList<>();
    private final Duration timeout;
    private volatile RankFailedException failure;
    private boolean closed;

    /** One rank's view of its group, given to each task. */
    public record Rank(int index, int size, Collective collective, MemoryMeter meter) {}

    /** A task every rank runs. */
    @FunctionalInterface
    public interface Task<T> {
        T run(Rank rank) throws Exception;
    }

    private Group(List<Collective> collectives, Duration timeout) {
        this.collectives = collectives;
        this.timeout = timeout;
    }

    /**
     * Starts {@code ranks} ranks on the thread collective. Each opens a meter "rank r" on its own
     * thread, limited to {@code budgetBytes} (0: no budget), and seeds its random stream (seed, r).
     */
    public static Group start(int ranks, long budgetBytes, Duration timeout, long seed) {
        return start(ThreadCollective.group(ranks, timeout), budgetBytes, timeout, seed);
    }

    /** Starts a group on given collective handles (one per rank, in rank order). */
    public static Group start(List<Collective> collectives, long budgetBytes, Duration timeout, long seed) {
        int n = collectives.size();
        if (n < 1) throw new IllegalArgumentException("a group needs at least one rank");
        if (budgetBytes < 0) throw new IllegalArgumentException("a rank budget must be ≥ 0 bytes, got " + budgetBytes);
        for (int r = 0; r < n; r++) {
            if (collectives.get(r).rank() != r || collectives.get(r).size() != n) {
                throw new IllegalArgumentException("collective handle " + r + " is rank " + collectives.get(r).rank()
                        + " of " + collectives.get(r).size() + "; handles must be given in rank order");
            }
        }
        Group g = new Group(collectives, timeout);
        for (int r = 0; r < n; r++) {
            int rank = r;
            g.threads.add(Executors.newSingleThreadExecutor(task -> {
                Thread t = new Thread(task, "memlean-rank-" + rank);
                t.setDaemon(true);
                return t;
            }));
        }
        try {
            List<Future<MemoryMeter>> opened = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                opened.add(g.threads.get(r).submit(() -> {
                    collectives.get(rank).bindThread();
                    Rng.seed(seed, rank);
                    return MemoryMeter.start("rank " + rank, rank == 0).limit(budgetBytes);
                }));
            }
            for (Future<MemoryMeter> f : opened) g.meters.add(f.get());
        } catch (InterruptedException | ExecutionException e) {
            g.close();
            throw new IllegalStateException("could not start the ranks: " + e.getMessage(), e);
        }
        return g;
    }

    public int size() {
        return collectives.size();
    }

    /** Rank r's meter: its device's ledger and budget. */
    public MemoryMeter meter(int r) {
        return meters.get(r);
    }

    public Collective collective(int r) {
        return collectives.get(r);
    }

    /**
     * Runs {@code task} on every rank at once; returns the results in rank order. {@code what} names
     * the work in an error ("step 3").
     */
    public <T> List<T> run(String what, Task<T> task) {
        if (closed) throw new IllegalStateException("the group was closed");
        if (failure != null) {
            throw new IllegalStateException("the group failed earlier and cannot run '" + what + "': "
                    + failure.getMessage(), failure);
        }
        List<Listener> callers = Listeners.registered();
        List<Future<T>> futures = new ArrayList<>();
        for (int r = 0; r < size(); r++) {
            Rank rank = new Rank(r, size(), collectives.get(r), meters.get(r));
            futures.add(threads.get(r).submit(() -> {
                if (rank.index() == 0) for (Listener l : callers) Listeners.add(l);
                try {
                    return task.run(rank);
                } catch (Throwable t) {
                    if (!(t instanceof CollectiveException)) rank.collective().abort(t);
                    throw t;
                } finally {
                    if (rank.index() == 0) for (Listener l : callers) Listeners.remove(l);
                }
            }));
        }
        List<T> results = new ArrayList<>();
        Throwable[] errors = new Throwable[size()];
        boolean failed = false;
        long graceEnd = Long.MAX_VALUE;
        for (int r = 0; r < size(); r++) {
            try {
                if (!failed) {
                    results.add(futures.get(r).get());
                } else {
                    long left = Math.max(0, graceEnd - System.nanoTime());
                    results.add(futures.get(r).get(left, TimeUnit.NANOSECONDS));
                }
            } catch (ExecutionException e) {
                errors[r] = e.getCause();
                results.add(null);
            } catch (TimeoutException e) {
                futures.get(r).cancel(true);
                errors[r] = new CollectiveException("rank " + r + " did not stop within " + timeout.toSeconds()
                        + " s of the failure and was interrupted", r, null);
                results.add(null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                for (Future<T> f : futures) f.cancel(true);
                throw new IllegalStateException("interrupted while the ranks ran '" + what + "'", e);
            }
            if (errors[r] != null && !failed) {
                failed = true;
                // the others stop at their next collective, at the latest when its timeout passes
                graceEnd = System.nanoTime() + timeout.toNanos() + TimeUnit.SECONDS.toNanos(1);
            }
        }
        if (failed) {
            failure = RankFailedException.of(what, errors);
            throw failure;
        }
        return results;
    }

    /** Runs {@code task} on every rank and returns one value per rank (a convenience for measurements). */
    public <T> List<T> each(Function<Rank, T> task) {
        return run("each", task::apply);
    }

    /** Whether an earlier {@link #run} failed (the group cannot run again). */
    public boolean failed() {
        return failure != null;
    }

    /** Closes every rank's collective handle and meter, and stops the threads. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (int r = 0; r < threads.size(); r++) {
            ExecutorService t = threads.get(r);
            if (r < meters.size()) {
                MemoryMeter m = meters.get(r);
                try {
                    t.submit(m::close).get(1, TimeUnit.SECONDS);
                } catch (Exception e) {
                    m.close();                      // a rank that is stuck: unbind from here
                }
            }
            t.shutdownNow();
        }
        for (Collective c : collectives) c.close();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Group[" + size() + " ranks");
        for (MemoryMeter m : meters) sb.append(", ").append(m.name()).append(' ').append(Bytes.format(m.liveBytes()));
        return sb.append(']').toString();
    }
}
