package org.memlean.memory;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reconciliation of all meters together with the process-wide backend counter, for code that
 * meters on several threads at once (chapter 7's ranks): at every allocation and release of every
 * meter, the backend counter must equal the sum of all ledgers plus what was untracked when the
 * check began. A kernel may hold native scratch of its own while it runs (libnd4j's matmul copies a
 * transposed operand), which no ledger sees, so a reading counts only while no other thread is
 * inside a kernel; while a check runs, kernels start under {@link Memory#LOCK} so that a reading and
 * a start cannot interleave. One check at a time.
 *
 * <pre>{@code
 * try (ProcessCheck check = ProcessCheck.start()) { runRanks(); assert check.maxDeviationBytes() == 0; }
 * }</pre>
 */
public final class ProcessCheck implements AutoCloseable {
    private static volatile ProcessCheck running;
    private static final AtomicInteger KERNELS_RUNNING = new AtomicInteger();
    private static final ThreadLocal<int[]> MY_KERNELS = ThreadLocal.withInitial(() -> new int[1]);

    private final long untrackedAtStart;
    private long maxDeviation;
    private String worst;
    private long events;

    private ProcessCheck(long untrackedAtStart) {
        this.untrackedAtStart = untrackedAtStart;
    }

    /** Starts checking every meter's events against the backend counter. */
    public static ProcessCheck start() {
        synchronized (Memory.LOCK) {
            if (running != null) throw new IllegalStateException("a process check is already running");
            running = new ProcessCheck(Device.allocatedBytes() - MemoryMeter.TOTAL_LIVE.get());
            return running;
        }
    }

    /** A kernel is starting on this thread (called by the framework's kernel gateway). */
    public static void kernelStarting() {
        if (running != null) {
            synchronized (Memory.LOCK) {
                KERNELS_RUNNING.incrementAndGet();
            }
        } else {
            KERNELS_RUNNING.incrementAndGet();
        }
        MY_KERNELS.get()[0]++;
    }

    /** The kernel this thread started has returned (its scratch is freed). */
    public static void kernelFinished() {
        MY_KERNELS.get()[0]--;
        KERNELS_RUNNING.decrementAndGet();
    }

    /** A meter's event under {@link Memory#LOCK}: {@code untracked} = backend − Σ ledgers now. */
    static void observe(long untracked, MemoryEvent.Kind kind, String label) {
        ProcessCheck check = running;
        if (check == null || !Thread.holdsLock(Memory.LOCK)) return;
        if (KERNELS_RUNNING.get() - MY_KERNELS.get()[0] != 0) return;     // another thread's kernel scratch
        check.record(untracked, kind, label);
    }

    private synchronized void record(long untracked, MemoryEvent.Kind kind, String label) {
        events++;
        long deviation = untracked - untrackedAtStart;
        if (Math.abs(deviation) > maxDeviation) {
            maxDeviation = Math.abs(deviation);
            worst = String.format(Locale.ROOT, "%+d bytes at %s '%s' on thread '%s'", deviation, kind, label,
                    Thread.currentThread().getName());
        }
    }

    /** The largest |backend − Σ ledgers| change seen at any event; 0 when everything reconciles. */
    public synchronized long maxDeviationBytes() {
        return maxDeviation;
    }

    /** Where the largest deviation was seen (signed: + an untracked allocation, − an untracked release). */
    public synchronized String worstDeviation() {
        return worst == null ? "none" : worst;
    }

    /** Events observed. */
    public synchronized long events() {
        return events;
    }

    @Override
    public void close() {
        synchronized (Memory.LOCK) {
            if (running == this) running = null;
        }
    }
}
