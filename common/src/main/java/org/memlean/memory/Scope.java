package org.memlean.memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * A region of code whose step-owned buffers (activations, temporaries, inputs) are all released
 * when it closes — the idea of DJL's NDManager. Parameters, gradients and optimizer state are
 * kept: they belong to no scope. Scopes nest; a buffer joins the innermost open scope of the
 * thread that allocates it. A scope belongs to the thread that opened it; a buffer it owns may be
 * released from another thread (a simulated rank), so its registry is guarded by a lock.
 *
 * <pre>{@code
 * try (Scope step = Scope.open()) {
 *     Tensor loss = model.loss(batch);   // activations, temporaries: owned by the scope
 *     loss.backward();                   // gradients: kept
 *     optimizer.step();                  // optimizer state: kept
 *     lossValue = loss.item();
 * }                                      // everything else is closed here, deterministically
 * }</pre>
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Deque<Scope>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

    private final Set<Storage> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private Scope() {}

    /** Opens a scope on the calling thread. */
    public static Scope open() {
        Scope scope = new Scope();
        OPEN.get().push(scope);
        return scope;
    }

    /** Scopes the calling thread opened and has not closed. */
    public static int openOnThisThread() {
        return OPEN.get().size();
    }

    /** Closes every scope the calling thread left open, freeing what they own (the grader, between tasks). */
    public static void closeAllOnThisThread() {
        for (Scope s : List.copyOf(OPEN.get())) s.close();
        OPEN.get().clear();
    }

    /** The innermost open scope of the calling thread, or null. */
    public static Scope current() {
        return OPEN.get().peek();
    }

    void adopt(Storage storage) {
        synchronized (owned) {
            owned.add(storage);
        }
        storage.attachTo(this);
    }

    void forget(Storage storage) {
        synchronized (owned) {
            owned.remove(storage);
        }
    }

    /** Moves a buffer out of this scope into the enclosing one (or into no scope at all). */
    public void keep(Storage storage) {
        synchronized (owned) {
            if (!owned.remove(storage)) return;
        }
        Deque<Scope> stack = OPEN.get();
        Scope parent = null;
        boolean seen = false;
        for (Scope s : stack) {
            if (seen) {
                parent = s;
                break;
            }
            if (s == this) seen = true;
        }
        storage.attachTo(parent);
        if (parent != null) parent.adopt(storage);
    }

    /**
     * Takes this scope off the calling thread without releasing anything: new buffers go to the
     * enclosing scope (or none) until {@link #resume()}. For a scope that spans many calls — a whole
     * evaluation loop, as DJL passes its NDManager along — entered for each of them. It must be the
     * thread's innermost scope.
     */
    public void suspend() {
        Deque<Scope> stack = OPEN.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("only the innermost scope of a thread can be suspended");
        }
        stack.pop();
    }

    /** Makes this scope the calling thread's innermost again (after {@link #suspend()}). */
    public void resume() {
        if (closed) throw new IllegalStateException("this scope was closed; its buffers are gone");
        if (OPEN.get().contains(this)) throw new IllegalStateException("this scope is already open on this thread");
        OPEN.get().push(this);
    }

    /** Frees every buffer the scope still owns, newest first. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        List<Storage> toFree;
        synchronized (owned) {
            toFree = new ArrayList<>(owned);
            owned.clear();
        }
        for (int i = toFree.size() - 1; i >= 0; i--) {
            toFree.get(i).attachTo(null);
            toFree.get(i).free();
        }
        if (Thread.currentThread() == thread) OPEN.get().remove(this);
    }
}
