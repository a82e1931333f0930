package org.memlean.memory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * All-or-nothing creation of kept memory (a model's parameters): if building fails half-way — a
 * device budget reached by the fifth layer, say — everything kept that was allocated since
 * {@link #begin()} is freed, so a failed constructor leaves nothing behind.
 *
 * <pre>{@code
 * try (Construction c = Construction.begin()) {
 *     ... allocate parameters ...
 *     c.done();
 * }
 * }</pre>
 */
public final class Construction implements AutoCloseable {
    private static final ThreadLocal<Deque<Construction>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Storage> made = new ArrayList<>();
    private boolean done;

    private Construction() {}

    public static Construction begin() {
        Construction c = new Construction();
        OPEN.get().push(c);
        return c;
    }

    static void record(Storage storage) {
        Construction c = OPEN.get().peek();
        if (c != null) c.made.add(storage);
    }

    /** Marks the construction complete: what it made is kept (an enclosing construction adopts it). */
    public void done() {
        done = true;
    }

    @Override
    public void close() {
        Deque<Construction> open = OPEN.get();
        open.remove(this);
        if (done) {
            Construction parent = open.peek();
            if (parent != null) parent.made.addAll(made);
        } else {
            for (int i = made.size() - 1; i >= 0; i--) made.get(i).free();
        }
        made.clear();
    }
}
