package org.memlean.memory;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One native buffer the framework allocated, with what the ledger needs to know about it: its
 * bytes, its category, the meter that counted it, and how many holders keep it alive.
 *
 * <p>Java has no reference counting, so the framework counts holders itself: each tensor handle
 * on the buffer and each autograd Function that saved it is one hold. The buffer is closed, and
 * the backend's counter falls, when the last hold goes — or when the {@link Scope} it was
 * allocated in closes, whichever comes first. Never left to the garbage collector.
 *
 * <p>Thread safety: a storage is used by the thread that made it — its version counter is that
 * thread's alone — but simulated ranks (chapter 7) read each other's buffers and may release them,
 * so its holders and category are guarded by its own lock and its release by the process-wide
 * allocation lock ({@link Memory#LOCK}).
 */
public final class Storage {
    private final INDArray array;
    private final long bytes;
    private final MemoryMeter meter;
    private final String label;
    private Category category;
    private Scope scope;
    private int holds;
    private int saves;
    private int version;
    private volatile boolean freed;

    Storage(INDArray array, long bytes, Category category, MemoryMeter meter, String label) {
        this.array = array;
        this.bytes = bytes;
        this.category = category;
        this.meter = meter;
        this.label = label;
    }

    /** The whole array this storage owns (views of it share its buffer). */
    public INDArray array() {
        if (freed) {
            throw new IllegalStateException("use of released memory: " + describe()
                    + " was already freed (its scope closed, or its last holder released it)");
        }
        return array;
    }

    public long bytes() {
        return bytes;
    }

    public synchronized Category category() {
        return category;
    }

    public String label() {
        return label;
    }

    /** The meter that counted this buffer (its release is counted there too, whichever thread frees it). */
    public MemoryMeter meter() {
        return meter;
    }

    public boolean isFreed() {
        return freed;
    }

    private String lastWriter;

    /** Bumped by every in-place write; autograd compares it with the value at save time. */
    public int version() {
        return version;
    }

    public void bumpVersion() {
        version++;
        lastWriter = null;
    }

    /** An in-place op named {@code op} wrote into the buffer: bumps the version and remembers who. */
    public void bumpVersion(String op) {
        version++;
        lastWriter = op;
    }

    /** The in-place op that last changed the buffer (null: an optimizer, or nothing named), for errors. */
    public String lastWriter() {
        return lastWriter;
    }

    /**
     * Carries a version over from the buffer this one replaces (a ZeRO-3 parameter gathered again
     * holds the same values as before, so what autograd saved is still valid).
     */
    public void continueVersion(int previous) {
        version = previous;
    }

    /** Holders now: tensor handles plus saves. */
    public synchronized int holds() {
        return holds;
    }

    /** Adds a holder (a tensor handle or a saving Function). */
    public synchronized void hold() {
        if (freed) array(); // throws the use-after-free error
        holds++;
    }

    /** Removes a holder; the last one frees the buffer. */
    public void unhold() {
        boolean last;
        synchronized (this) {
            if (freed) return;
            holds--;
            last = holds <= 0;
        }
        if (last) free();
    }

    /** An autograd Function saved it for backward: a step-owned buffer becomes ACTIVATION. */
    public void markSaved() {
        boolean first;
        synchronized (this) {
            if (freed) array();
            holds++;
            saves++;
            first = saves == 1 && category == Category.TEMPORARY;
        }
        if (first) recategorize(Category.ACTIVATION);
    }

    /** The Function's backward has run (or its graph was dropped): the save is released. */
    public void releaseSaved() {
        boolean last;
        synchronized (this) {
            if (freed) return;
            saves--;
            last = saves == 0 && category == Category.ACTIVATION;
        }
        if (last) recategorize(Category.TEMPORARY);
        unhold();
    }

    /** Moves the buffer to another category; a kept category takes it out of its scope. */
    public void recategorize(Category to) {
        Category from;
        Scope leaving = null;
        synchronized (this) {
            if (to == category || freed) return;
            from = category;
            category = to;
            if (to.keptAcrossSteps() && scope != null) {
                leaving = scope;
                scope = null;
            }
        }
        meter.recordMove(this, from, to);
        if (leaving != null) leaving.forget(this);
    }

    synchronized void attachTo(Scope scope) {
        this.scope = scope;
    }

    /** Closes the native buffer now, whoever still holds it. Idempotent. */
    public void free() {
        Scope owner;
        synchronized (Memory.LOCK) {
            synchronized (this) {
                if (freed) return;
                freed = true;
                owner = scope;
                scope = null;
            }
            if (!Listeners.releasing(this, array)) array.close();
            meter.recordFree(this);
        }
        if (owner != null) owner.forget(this);
    }

    public String describe() {
        return (label == null ? "buffer" : "'" + label + "'") + " " + array.dataType() + " "
                + Arrays.toString(array.shape()) + " (" + category + ", " + Bytes.format(bytes) + ")";
    }

    /**
     * Bytes of an array of {@code dataType} and {@code shape}, as the backend counts them. A shape
     * whose size does not fit in a long is a clear error, not a wrapped-around negative number.
     */
    public static long bytesOf(DataType dataType, long... shape) {
        long n = 1;
        try {
            for (long d : shape) {
                if (d < 0) throw new IllegalArgumentException("negative size in shape " + Arrays.toString(shape));
                n = Math.multiplyExact(n, d);
            }
            return Math.multiplyExact(n, (long) dataType.width());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("a " + dataType + " array of shape " + Arrays.toString(shape)
                    + " would need more than 2⁶³ bytes");
        }
    }
}
