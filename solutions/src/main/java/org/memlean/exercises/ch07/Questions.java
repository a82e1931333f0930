package org.memlean.exercises.ch07;

/** Answers of the chapter 7 questions. */
public final class Questions {
    private Questions() {}

    /** 16 × 13.0·10⁹ = 208 GB over 80 GB: 3 (2.6, rounded up). */
    public static long gpusForThirteenBillion() {
        return (long) Math.ceil(16.0 * 13_015_864_320L / 80e9);
    }

    /** 3Ψ(N−1)/N over 2Ψ(N−1)/N. */
    public static double zero3OverDdpTraffic() {
        return 1.5;
    }
}
