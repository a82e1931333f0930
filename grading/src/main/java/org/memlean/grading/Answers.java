package org.memlean.grading;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks the answer of a reasoning question without giving it away: a wrong answer is told how far
 * off it is in kind ("off by more than 1 %"), never what the right one is.
 */
public final class Answers {
    private Answers() {}

    /** {@code answer} within {@code relative} of {@code expected} (both finite). */
    public static void near(double answer, double expected, double relative) {
        if (!Double.isFinite(answer)) throw new AssertionError("the answer is " + answer + ", not a number");
        double error = Math.abs(answer - expected) / Math.max(Math.abs(expected), 1e-300);
        if (error > relative) {
            throw new AssertionError(String.format(Locale.ROOT, "%s is off by more than %s — check the reasoning (the "
                    + "units too: the question says which)", fmt(answer), relative >= 0.01 ? Math.round(relative * 100) + " %"
                    : relative + " relative"));
        }
    }

    /** A whole number, exactly. */
    public static void exactly(long answer, long expected) {
        if (answer != expected) {
            throw new AssertionError(answer + " is not it" + (answer > expected ? " (too many)" : " (too few)"));
        }
    }

    /** A set of names, exactly (case and spaces ignored). */
    public static void sameNames(Set<String> answer, Set<String> expected) {
        Set<String> a = normalised(answer);
        Set<String> e = normalised(expected);
        if (!a.equals(e)) {
            Set<String> wrong = new TreeSet<>(a);
            wrong.removeAll(e);
            Set<String> missing = new TreeSet<>(e);
            missing.removeAll(a);
            throw new AssertionError(wrong.size() + " named that should not be, " + missing.size() + " missing");
        }
    }

    private static Set<String> normalised(Set<String> names) {
        Set<String> out = new TreeSet<>();
        if (names != null) for (String n : names) out.add(n.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " "));
        return out;
    }

    private static String fmt(double x) {
        return String.format(Locale.ROOT, "%.6g", x);
    }
}
