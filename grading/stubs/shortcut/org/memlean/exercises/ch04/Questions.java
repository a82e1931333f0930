package org.memlean.exercises.ch04;

public final class Questions {
    private Questions() {}

    public static double largestLostUpdate() {
        return Math.scalb(1.0, -9);   // "bf16 has 8 bits: 2⁻⁸ is its spacing"
    }

    public static double modelStatesGigabytes() {
        return 8.0 * 13_015_864_320L / 1e9;   // Kahan's buffer forgotten
    }
}
