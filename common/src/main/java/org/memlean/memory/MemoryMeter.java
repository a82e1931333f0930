package org.memlean.memory;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory meter: a ledger of every buffer the framework allocates and frees, by category, read
 * side by side with the backend's own counter at every event.
 *
 * <p>A meter is bound to the thread that started it (try-with-resources unbinds it); buffers the
 * thread allocates meanwhile are counted in it, and their release is counted in it whichever
 * thread releases them. Threads with no meter bound count into {@link #global()}. Several meters
 * can run at once on different threads (one per simulated ZeRO rank); each keeps its own ledger
 * and peak, and the ledgers of all of them add up to the process-wide backend counter (every
 * allocation and release happens under {@link Memory#LOCK} with its ledger entry).
 *
 * <p>Two peaks are kept: the backend counter's (exact while this meter's thread is the only one
 * with a meter open) and the ledger's. {@link #peakBytes()} reports the backend's when it can and
 * the meter's own ledger peak once another thread has had a meter open during this one's events —
 * the backend counter is process-wide and would mix in the other ranks' bytes.
 *
 * <p>A meter can carry a budget of its own ({@link #limit(long)}): a simulated rank's "GPU of N
 * MiB", enforced against this meter's ledger alone.
 */
public final class MemoryMeter implements AutoCloseable {
    private static final ThreadLocal<Deque<MemoryMeter>> BOUND = ThreadLocal.withInitial(ArrayDeque::new);
    private static final List<MemoryMeter> OPEN = Collections.synchronizedList(new ArrayList<>());
    private static final Map<Thread, Integer> THREADS_WITH_METERS = new HashMap<>();
    private static volatile int threadsWithMeters;
    static final AtomicLong TOTAL_LIVE = new AtomicLong();      // ledger bytes of every meter, for ProcessCheck
    private static final MemoryMeter GLOBAL = new MemoryMeter("global", false, null);

    private final String name;
    private final boolean keepTimeline;
    private final Thread owner;
    private final long startNanos = System.nanoTime();
    private final long backendStart;
    private final long[] live = new long[Category.values().length];
    private final long[] maxByCategory = new long[Category.values().length];
    private long ledgerLive;
    private long ledgerPeak;
    private long[] atLedgerPeak = new long[Category.values().length];
    private long backendPeak;
    private long[] atBackendPeak = new long[Category.values().length];
    private long maxDiscrepancy;
    private boolean concurrent;
    private long sequence;
    private long allocations;
    private volatile long budgetBytes;
    private final List<MemoryEvent> timeline = new ArrayList<>();
    private boolean closed;

    private MemoryMeter(String name, boolean keepTimeline, Thread owner) {
        this.name = name;
        this.keepTimeline = keepTimeline;
        this.owner = owner;
        this.backendStart = Device.allocatedBytes();
    }

    /** Starts a meter with a timeline and binds it to the calling thread. */
    public static MemoryMeter start(String name) {
        return start(name, true);
    }

    /** Starts a meter and binds it to the calling thread; without a timeline it keeps only totals. */
    public static MemoryMeter start(String name, boolean keepTimeline) {
        synchronized (Memory.LOCK) {
            MemoryMeter meter = new MemoryMeter(name, keepTimeline, Thread.currentThread());
            BOUND.get().push(meter);
            OPEN.add(meter);
            synchronized (THREADS_WITH_METERS) {
                THREADS_WITH_METERS.merge(meter.owner, 1, Integer::sum);
                threadsWithMeters = THREADS_WITH_METERS.size();
            }
            return meter;
        }
    }

    /** Meters the calling thread opened and has not closed. */
    public static int openOnThisThread() {
        return BOUND.get().size();
    }

    /** Closes every meter the calling thread left open (the grader, between tasks). */
    public static void closeAllOnThisThread() {
        for (MemoryMeter m : List.copyOf(BOUND.get())) m.close();
        BOUND.get().clear();
    }

    /** The meter bound to the calling thread, or the global one. */
    public static MemoryMeter current() {
        MemoryMeter meter = BOUND.get().peek();
        return meter == null ? GLOBAL : meter;
    }

    /** The meter that counts what threads without a meter of their own allocate. */
    public static MemoryMeter global() {
        return GLOBAL;
    }

    public String name() {
        return name;
    }

    /**
     * Gives this meter a budget of its own: a "device of {@code bytes}" for the buffers counted in
     * it, enforced against its ledger (0 removes it). A request past it fails with the course's
     * out-of-memory error naming this meter.
     */
    public MemoryMeter limit(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("a meter budget must be ≥ 0 bytes, got " + bytes);
        if (bytes > 0 && liveBytes() > bytes) {
            throw new IllegalArgumentException("a budget of " + Bytes.format(bytes) + " for '" + name + "' is smaller "
                    + "than the " + Bytes.format(liveBytes()) + " it already holds");
        }
        budgetBytes = bytes;
        return this;
    }

    /** This meter's own budget in bytes, 0 when it has none. */
    public long budgetBytes() {
        return budgetBytes;
    }

    /** Whether {@code bytes} more would pass this meter's own budget. */
    synchronized boolean wouldExceedBudget(long bytes) {
        long budget = budgetBytes;
        return budget > 0 && ledgerLive + bytes > budget;
    }

    synchronized void recordAllocate(Storage storage) {
        allocations++;
        add(storage.category(), storage.bytes());
        event(MemoryEvent.Kind.ALLOCATE, storage.category(), storage.bytes(), storage.label());
    }

    synchronized void recordFree(Storage storage) {
        add(storage.category(), -storage.bytes());
        event(MemoryEvent.Kind.FREE, storage.category(), storage.bytes(), storage.label());
    }

    synchronized void recordMove(Storage storage, Category from, Category to) {
        live[from.ordinal()] -= storage.bytes();
        live[to.ordinal()] += storage.bytes();
        maxByCategory[to.ordinal()] = Math.max(maxByCategory[to.ordinal()], live[to.ordinal()]);
        event(MemoryEvent.Kind.MOVE, to, storage.bytes(), storage.label());
    }

    synchronized void recordOutOfMemory(Category category, long bytes, String label) {
        event(MemoryEvent.Kind.OUT_OF_MEMORY, category, bytes, label);
    }

    /** Puts a phase label ("forward", "backward", "step 3") on the timeline. */
    public synchronized void mark(String phase) {
        event(MemoryEvent.Kind.MARK, null, 0, phase);
    }

    private void add(Category category, long bytes) {
        live[category.ordinal()] += bytes;
        ledgerLive += bytes;
        TOTAL_LIVE.addAndGet(bytes);
        maxByCategory[category.ordinal()] = Math.max(maxByCategory[category.ordinal()], live[category.ordinal()]);
    }

    private void event(MemoryEvent.Kind kind, Category category, long bytes, String label) {
        long backendNow = Device.allocatedBytes();
        long backendLive = backendNow - backendStart;
        if (threadsWithMeters > 1 && owner != null) concurrent = true;   // another thread meters too
        if (ledgerLive > ledgerPeak) {
            ledgerPeak = ledgerLive;
            atLedgerPeak = live.clone();
        }
        if (backendLive > backendPeak) {
            backendPeak = backendLive;
            atBackendPeak = live.clone();
        }
        if (!concurrent) maxDiscrepancy = Math.max(maxDiscrepancy, Math.abs(backendLive - ledgerLive));
        ProcessCheck.observe(backendNow - TOTAL_LIVE.get(), kind, label);
        if (keepTimeline) {
            timeline.add(new MemoryEvent(sequence, System.nanoTime() - startNanos, kind, category, bytes, label,
                    live.clone(), ledgerLive, backendLive));
        }
        sequence++;
    }

    /** Ledger bytes live now. */
    public synchronized long liveBytes() {
        return ledgerLive;
    }

    /** Ledger bytes live now in one category. */
    public synchronized long liveBytes(Category category) {
        return live[category.ordinal()];
    }

    /** The backend counter's value when this meter started. */
    public long backendStartBytes() {
        return backendStart;
    }

    /** The backend counter now, minus its value when this meter started. */
    public long backendLiveBytes() {
        return Device.allocatedBytes() - backendStart;
    }

    /**
     * The measured peak: the highest backend reading (above the start) seen at any event while this
     * meter's thread was the only one metering; this meter's own ledger peak once another thread
     * metered concurrently (see the class comment).
     */
    public synchronized long peakBytes() {
        return concurrent ? ledgerPeak : backendPeak;
    }

    /** The highest ledger total seen at any event. */
    public synchronized long ledgerPeakBytes() {
        return ledgerPeak;
    }

    /** Whether another thread had a meter open during this meter's events (peaks are then the ledger's). */
    public synchronized boolean isConcurrent() {
        return concurrent;
    }

    /** The ledger by category at the moment of the measured peak. */
    public synchronized Map<Category, Long> peakByCategory() {
        return toMap(concurrent || ledgerPeak > backendPeak ? atLedgerPeak : atBackendPeak);
    }

    /** Each category's own highest live bytes (they need not peak together). */
    public synchronized Map<Category, Long> maxByCategory() {
        return toMap(maxByCategory);
    }

    /** The ledger by category now. */
    public synchronized Map<Category, Long> liveByCategory() {
        return toMap(live);
    }

    /**
     * The largest |backend − ledger| seen at any event while this meter metered alone; 0 when the
     * two reconcile to the byte. (With concurrent meters, see {@link ProcessCheck}.)
     */
    public synchronized long maxDiscrepancyBytes() {
        return maxDiscrepancy;
    }

    /** Number of buffers allocated under this meter. */
    public synchronized long allocationCount() {
        return allocations;
    }

    /** The events so far (empty for a meter started without a timeline). */
    public synchronized List<MemoryEvent> timeline() {
        return List.copyOf(timeline);
    }

    private static Map<Category, Long> toMap(long[] values) {
        Map<Category, Long> map = new EnumMap<>(Category.class);
        for (Category c : Category.values()) map.put(c, values[c.ordinal()]);
        return map;
    }

    /** Writes the timeline as CSV: one row per event, one column per category. */
    public void writeCsv(Path path) throws IOException {
        try (Writer out = Files.newBufferedWriter(path)) {
            out.write(timelineCsv());
        }
    }

    /** The timeline as CSV text. */
    public String timelineCsv() {
        StringBuilder sb = new StringBuilder("sequence,micros,kind,category,bytes,label");
        for (Category c : Category.values()) sb.append(',').append(c.name().toLowerCase(Locale.ROOT));
        sb.append(",ledger_live,backend_live\n");
        for (MemoryEvent e : timeline()) {
            sb.append(e.sequence()).append(',').append(e.nanos() / 1000).append(',').append(e.kind()).append(',')
                    .append(e.category() == null ? "" : e.category()).append(',').append(e.bytes()).append(',')
                    .append(e.label() == null ? "" : e.label().replace(',', ';'));
            for (long v : e.liveByCategory()) sb.append(',').append(v);
            sb.append(',').append(e.ledgerLive()).append(',').append(e.backendLive()).append('\n');
        }
        return sb.toString();
    }

    /** Writes the timeline as a JSON array of events. */
    public void writeJson(Path path) throws IOException {
        Files.writeString(path, timelineJson());
    }

    /** The timeline as a JSON array. */
    public String timelineJson() {
        StringBuilder sb = new StringBuilder("[");
        List<MemoryEvent> events = timeline();
        for (int i = 0; i < events.size(); i++) {
            MemoryEvent e = events.get(i);
            if (i > 0) sb.append(",\n");
            sb.append("{\"sequence\":").append(e.sequence()).append(",\"micros\":").append(e.nanos() / 1000)
                    .append(",\"kind\":\"").append(e.kind()).append('"')
                    .append(",\"category\":").append(e.category() == null ? "null" : "\"" + e.category() + "\"")
                    .append(",\"bytes\":").append(e.bytes())
                    .append(",\"label\":").append(e.label() == null ? "null" : "\"" + escape(e.label()) + "\"")
                    .append(",\"live\":{");
            for (Category c : Category.values()) {
                sb.append(c.ordinal() == 0 ? "" : ",").append('"').append(c).append("\":")
                        .append(e.liveByCategory()[c.ordinal()]);
            }
            sb.append("},\"ledgerLive\":").append(e.ledgerLive()).append(",\"backendLive\":").append(e.backendLive())
                    .append('}');
        }
        return sb.append("]").toString();
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** Unbinds the meter from its thread. Its figures stay readable; releases still count in it. */
    @Override
    public void close() {
        synchronized (Memory.LOCK) {
            if (closed) return;
            closed = true;
            OPEN.remove(this);
            if (Thread.currentThread() == owner) BOUND.get().remove(this);
            synchronized (THREADS_WITH_METERS) {
                THREADS_WITH_METERS.computeIfPresent(owner, (t, n) -> n == 1 ? null : n - 1);
                threadsWithMeters = THREADS_WITH_METERS.size();
            }
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "MemoryMeter[%s: live %s, peak %s]", name, Bytes.format(liveBytes()),
                Bytes.format(peakBytes()));
    }
}
