package org.memlean.memory;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.function.IntConsumer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A leak detector for training loops: runs steps under a meter of its own, reads the live bytes
 * after each, and reports how much they grow per step (a least-squares fit), which categories grew
 * and the labels of the buffers that were allocated and never released. A correct loop grows by 0
 * bytes per step, to the byte. Every chapter's leak test uses it:
 *
 * <pre>{@code
 * LeakCheck.run(2, 10, i -> session.step(i)).assertNoLeak();
 * }</pre>
 *
 * <p>The first {@code warmUp} steps run outside the check: a first step may create state that is
 * meant to stay (AdamW's moments, a cache). The backend counter is read beside the ledger: it shows
 * native memory the framework never released but the garbage collector did (and when).
 */
public final class LeakCheck {
    private LeakCheck() {}

    /**
     * What a check saw.
     *
     * @param liveAfterStep   the ledger's live bytes (this check's meter) after each checked step
     * @param backendAfterStep the backend counter (minus its value at the start) after each checked step
     * @param bytesPerStep    the fitted growth of {@code liveAfterStep} per step
     * @param grewByCategory  live bytes at the end minus after the first checked step, per category (≠ 0 only)
     * @param neverReleased   bytes allocated during the checked steps and not released by the framework at
     *                        the end, by "CATEGORY label" (buffers the garbage collector took count too)
     */
    public record Result(long[] liveAfterStep, long[] backendAfterStep, double bytesPerStep,
                         Map<Category, Long> grewByCategory, Map<String, Long> neverReleased) {
        /** Whether the live bytes moved at all after the first checked step. */
        public boolean leaks() {
            for (long v : liveAfterStep) if (v != liveAfterStep[0]) return true;
            return false;
        }

        /** Fitted growth of the backend counter per step (noisy when the collector frees what the framework did not). */
        public double backendBytesPerStep() {
            return backendAfterStep == null ? Double.NaN : slope(backendAfterStep);
        }

        /** A sentence: "no growth over 10 steps" or what grew, by how much, in which categories and labels. */
        public String describe() {
            int n = liveAfterStep.length;
            if (!leaks()) return "no growth over " + n + " steps: " + Bytes.format(liveAfterStep[0]) + " live after each";
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "the live bytes grow by %s per step over %d steps (%s after the first, %s after the last)",
                    Bytes.formatRate(bytesPerStep), n, Bytes.format(liveAfterStep[0]), Bytes.format(liveAfterStep[n - 1])));
            if (!grewByCategory.isEmpty()) {
                sb.append("; grew: ");
                List<String> parts = new ArrayList<>();
                grewByCategory.forEach((c, b) -> parts.add(c + " " + Bytes.formatRate(b)));
                sb.append(String.join(", ", parts));
            }
            if (!neverReleased.isEmpty()) {
                sb.append("; never released: ");
                List<String> parts = new ArrayList<>();
                int shown = 0;
                for (Map.Entry<String, Long> e : neverReleased.entrySet()) {
                    if (shown++ == 6) {
                        parts.add("…");
                        break;
                    }
                    parts.add(e.getKey() + " " + Bytes.format(e.getValue()));
                }
                sb.append(String.join(", ", parts));
            }
            return sb.toString();
        }

        /**
         * Whether the backend counter moved exactly as the ledger did from step to step (always, when
         * all native memory goes through the framework and nothing is left to the garbage collector).
         * Without a backend reading (ranks on other threads) there is nothing to compare: true.
         */
        public boolean backendAgrees() {
            if (backendAfterStep == null) return true;
            // growth against growth: buffers made before the check and freed during it (an optimizer that
            // replaces its parameters) leave this meter's ledger and the counter apart by a constant
            for (int i = 0; i < liveAfterStep.length; i++) {
                if (backendAfterStep[i] - backendAfterStep[0] != liveAfterStep[i] - liveAfterStep[0]) return false;
            }
            return true;
        }

        /** Throws an AssertionError naming {@code what} if anything grew, or if the backend disagreed with the ledger. */
        public Result assertNoLeak(String what) {
            if (leaks()) throw new AssertionError(what + " leaks: " + describe());
            if (!backendAgrees()) {
                throw new AssertionError(what + ": the backend counter read " + Arrays.toString(backendAfterStep)
                        + " after the steps and the ledger " + Arrays.toString(liveAfterStep)
                        + ": native memory moved outside the framework");
            }
            return this;
        }

        /** {@link #assertNoLeak(String)} for "the loop". */
        public Result assertNoLeak() {
            return assertNoLeak("the loop");
        }
    }

    /** Runs {@code warmUp} steps, then {@code steps} steps under a meter of this check's own, on the calling thread. */
    public static Result run(int warmUp, int steps, IntConsumer step) {
        if (steps < 2) throw new IllegalArgumentException("a leak check needs at least 2 steps to see growth, got " + steps);
        for (int i = 0; i < warmUp; i++) step.accept(i);
        Device.settle();
        Tracker tracker = new Tracker();
        long[] live = new long[steps];
        long[] backend = new long[steps];
        Map<Category, Long> first = null;
        Map<Category, Long> last;
        try (MemoryMeter meter = MemoryMeter.start("leak check", false)) {
            Listeners.add(tracker);
            try {
                for (int i = 0; i < steps; i++) {
                    step.accept(warmUp + i);
                    live[i] = meter.liveBytes();
                    backend[i] = meter.backendLiveBytes();
                    if (i == 0) first = meter.liveByCategory();
                }
            } finally {
                Listeners.remove(tracker);
            }
            last = meter.liveByCategory();
        }
        Map<Category, Long> grew = new EnumMap<>(Category.class);
        for (Category c : Category.values()) {
            long d = last.get(c) - first.get(c);
            if (d != 0) grew.put(c, d);
        }
        return new Result(live, backend, slope(live), grew, tracker.neverReleased());
    }

    /**
     * Watches meters that other threads count into (simulated ranks): runs the steps and reads the sum
     * of their live bytes after each. No labels (the buffers are allocated on the ranks' threads) and
     * no backend reading (the counter is process-wide).
     */
    public static Result watch(List<MemoryMeter> meters, int warmUp, int steps, IntConsumer step) {
        if (steps < 2) throw new IllegalArgumentException("a leak check needs at least 2 steps to see growth, got " + steps);
        for (int i = 0; i < warmUp; i++) step.accept(i);
        long[] live = new long[steps];
        Map<Category, Long> first = null;
        Map<Category, Long> last = null;
        for (int i = 0; i < steps; i++) {
            step.accept(warmUp + i);
            Map<Category, Long> now = new EnumMap<>(Category.class);
            for (Category c : Category.values()) now.put(c, 0L);
            for (MemoryMeter m : meters) m.liveByCategory().forEach((c, b) -> now.merge(c, b, Long::sum));
            for (Long b : now.values()) live[i] += b;
            if (i == 0) first = now;
            last = now;
        }
        Map<Category, Long> grew = new EnumMap<>(Category.class);
        for (Category c : Category.values()) {
            long d = last.get(c) - first.get(c);
            if (d != 0) grew.put(c, d);
        }
        return new Result(live, null, slope(live), grew, Map.of());
    }

    /** The least-squares slope of {@code values} against their index (0 when all are equal). */
    public static double slope(long[] values) {
        int n = values.length;
        if (n < 2) return 0;
        boolean flat = true;
        for (long v : values) flat &= v == values[0];
        if (flat) return 0;
        double meanX = (n - 1) / 2.0;
        double meanY = 0;
        for (long v : values) meanY += v;
        meanY /= n;
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
            num += (i - meanX) * (values[i] - meanY);
            den += (i - meanX) * (i - meanX);
        }
        return num / den;
    }

    /** Remembers each buffer allocated during the check (weakly) and whether the framework released it. */
    private static final class Tracker implements Listener {
        private static final class Seen {
            final Category category;
            final String label;
            final long bytes;
            final WeakReference<Storage> storage;
            boolean released;

            Seen(Storage s) {
                category = s.category();
                label = s.label() == null ? "unlabelled" : s.label();
                bytes = s.bytes();
                storage = new WeakReference<>(s);
            }
        }

        private final List<Seen> seen = new ArrayList<>();
        private final Map<Storage, Seen> byStorage = new WeakHashMap<>();

        @Override
        public void allocated(Storage storage) {
            Seen s = new Seen(storage);
            seen.add(s);
            byStorage.put(storage, s);
        }

        @Override
        public boolean releasing(Storage storage, INDArray array) {
            Seen s = byStorage.get(storage);
            if (s != null) s.released = true;
            return false;
        }

        Map<String, Long> neverReleased() {
            Map<String, Long> out = new TreeMap<>();
            for (Seen s : seen) {
                Storage st = s.storage.get();
                if (s.released || st != null && st.isFreed()) continue;
                Category now = st == null ? s.category : st.category();      // a buffer may have been recategorized
                out.merge(now + " '" + s.label + "'" + (st == null ? " (taken by the garbage collector)" : ""), s.bytes,
                        Long::sum);
            }
            Map<String, Long> sorted = new LinkedHashMap<>();         // largest first
            out.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                    .forEach(e -> sorted.put(e.getKey(), e.getValue()));
            return sorted;
        }
    }
}
