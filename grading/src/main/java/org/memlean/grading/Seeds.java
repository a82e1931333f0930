package org.memlean.grading;

import java.util.SplittableRandom;

/**
 * The random configurations a graded test checks: drawn from the grading run's seed (printed when a
 * test fails, and given back with {@code ./memlean grade --seed N} to reproduce a failure), so a
 * number written into an answer cannot pass.
 */
public final class Seeds {
    private Seeds() {}

    /** The run's seed: {@code --seed N}, or one the grader drew. */
    public static long run() {
        return Long.getLong("memlean.grade.seed", 1);
    }

    /** A generator for one test, the same for every run with the same seed. */
    public static SplittableRandom forTest(Class<?> test, String name) {
        return new SplittableRandom(forTest(test.getName() + "#" + name));
    }

    static long forTest(String id) {
        return run() * 0x9E3779B97F4A7C15L ^ id.hashCode();
    }

    /** The phrase a failure ends with: how to draw the same configurations again. */
    public static String reproduce(String chapter) {
        return "configuration seed " + run() + " (./memlean grade --chapter " + chapter + " --seed " + run()
                + " draws them again)";
    }
}
