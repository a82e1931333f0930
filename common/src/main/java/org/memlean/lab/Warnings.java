package org.memlean.lab;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Warnings said once: training that diverged, a loss scaler that skips step after step. Each goes to
 * standard error as a line starting "memlean: warning:", once per owner (an optimizer, a scaler) and
 * kind; the last ones are kept for tests and notebooks ({@link #recent()}).
 */
public final class Warnings {
    private static final Map<Object, Set<String>> SAID = Collections.synchronizedMap(new IdentityHashMap<>());
    private static final List<String> RECENT = Collections.synchronizedList(new ArrayList<>());

    private Warnings() {}

    /** Says {@code message} unless {@code owner} already said a warning of this {@code kind}. Returns whether it did. */
    public static boolean once(Object owner, String kind, String message) {
        Set<String> kinds = SAID.computeIfAbsent(owner, k -> Collections.synchronizedSet(new HashSet<>()));
        if (!kinds.add(kind)) return false;
        System.err.println("memlean: warning: " + message);
        RECENT.add(message);
        while (RECENT.size() > 50) RECENT.remove(0);
        return true;
    }

    /** The warnings said since the last {@link #clear()}, oldest first. */
    public static List<String> recent() {
        synchronized (RECENT) {
            return List.copyOf(RECENT);
        }
    }

    /** Forgets what was said (tests). */
    public static void clear() {
        RECENT.clear();
        SAID.clear();
    }
}
