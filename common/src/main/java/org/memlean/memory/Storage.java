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
    private boolean freed;

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

    public Category category() {
        return category;
    }

    public String label() {
        return label;
    }

    public boolean isFreed() {
        return freed;
    }

    /** Bumped by every in-place write; autograd compares it with the value at save time. */
    public int version() {
        return version;
    }

    public void bumpVersion() {
        version++;
    }

    /** Holders now: tensor handles plus saves. */
    public int holds() {
        return holds;
    }

    /** Adds a holder (a tensor handle or a saving Function). */
    public void hold() {
        if (freed) array(); // throws the use-after-free error
        holds++;
    }

    /** Removes a holder; the last one frees the buffer. */
    public void unhold() {
        if (freed) return;
        holds--;
        if (holds <= 0) free();
    }

    /** An autograd Function saved it for backward: a step-owned buffer becomes ACTIVATION. */
    public void markSaved() {
        hold();
        saves++;
        if (saves == 1 && category == Category.TEMPORARY) recategorize(Category.ACTIVATION);
    }

    /** The Function's backward has run (or its graph was dropped): the save is released. */
    public void releaseSaved() {
        if (freed) return;
        saves--;
        if (saves == 0 && category == Category.ACTIVATION) recategorize(Category.TEMPORARY);
        unhold();
    }

    /** Moves the buffer to another category; a kept category takes it out of its scope. */
    public void recategorize(Category to) {
        if (to == category || freed) return;
        Category from = category;
        category = to;
        meter.recordMove(this, from, to);
        if (to.keptAcrossSteps() && scope != null) {
            scope.forget(this);
            scope = null;
        }
    }

    void attachTo(Scope scope) {
        this.scope = scope;
    }

    /** Closes the native buffer now, whoever still holds it. Idempotent. */
    public void free() {
        if (freed) return;
        freed = true;
        Trace trace = Trace.active();
        if (trace == null || !trace.released(this, array)) array.close();
        meter.recordFree(this);
        if (scope != null) scope.forget(this);
    }

    public String describe() {
        return (label == null ? "buffer" : "'" + label + "'") + " " + array.dataType() + " "
                + Arrays.toString(array.shape()) + " (" + category + ", " + Bytes.format(bytes) + ")";
    }

    /** Bytes of an array of {@code dataType} and {@code shape}, as the backend counts them. */
    public static long bytesOf(DataType dataType, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n * dataType.width();
    }
}
