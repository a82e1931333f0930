package org.memlean.lab;

import java.util.Map;
import java.util.ServiceLoader;

/**
 * One chapter of the course: a technique and its experiment. Implementations are found with
 * {@link ServiceLoader}: a chapter module lists its class in
 * {@code META-INF/services/Chapter}, and nothing else in the course changes.
 */
public interface Chapter {
    /** The chapter number, 1–10, in the source article's order. */
    int number();

    /** "ch01" … "ch10". */
    default String id() {
        return String.format("ch%02d", number());
    }

    /** The bilingual title, e.g. "Gradient Accumulation（梯度累积）". */
    String title();

    /** The technique in a few words, for tables. */
    String technique();

    /** Runs the baseline and the technique at the given size and reports what the meter measured. */
    Report run(Size size);

    /** Options of this chapter's experiment beyond its size, by name, with what they mean ("ranks" for chapter 7). */
    default Map<String, String> options() {
        return Map.of();
    }

    /**
     * Runs the experiment with chapter options (by name, from {@link #options()}). A chapter without
     * options refuses any with an IllegalArgumentException naming them.
     */
    default Report run(Size size, Map<String, Integer> options) {
        for (String name : options.keySet()) {
            if (!options().containsKey(name)) {
                throw new IllegalArgumentException(id() + " has no option --" + name + (options().isEmpty() ? ""
                        : "; its options are --" + String.join(", --", options().keySet())));
            }
        }
        if (!options.isEmpty()) {
            throw new IllegalStateException(id() + " lists options but does not override run(size, options)");
        }
        return run(size);
    }
}
