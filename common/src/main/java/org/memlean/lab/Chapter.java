package org.memlean.lab;

/**
 * One chapter of the course: a technique and its experiment. Implementations are found with
 * {@link java.util.ServiceLoader}: a chapter module lists its class in
 * {@code META-INF/services/org.memlean.lab.Chapter}, and nothing else in the course changes.
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
}
