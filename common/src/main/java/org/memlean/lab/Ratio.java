package org.memlean.lab;

import java.util.Locale;

/**
 * One arm's step time over the baseline's, with its uncertainty: the median and the quartiles of the
 * per-round ratios (the two arms ran back to back in each round, so each pair shares the machine's
 * mood). {@code ±} is half the interquartile range.
 */
public record Ratio(double median, double low, double high) {
    /** Ratios of {@code arm}'s samples to {@code baseline}'s, round by round. */
    public static Ratio of(Timing arm, Timing baseline) {
        int n = Math.min(arm.count(), baseline.count());
        if (n == 0) return new Ratio(Double.NaN, Double.NaN, Double.NaN);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = arm.samplesMillis()[i] / baseline.samplesMillis()[i];
        return new Ratio(Timing.quantile(r, 0.5), Timing.quantile(r, 0.25), Timing.quantile(r, 0.75));
    }

    /** Half the interquartile range of the per-round ratios. */
    public double plusMinus() {
        return (high - low) / 2;
    }

    /** Whether the spread covers 1: the arms' times are not told apart by this measurement. */
    public boolean withinNoise() {
        return low <= 1 && 1 <= high;
    }

    /** "1.31× ±0.08", or "≈ 1× (0.93–1.08), within noise" when the spread covers 1. */
    public String format() {
        if (Double.isNaN(median)) return "–";
        if (withinNoise()) return String.format(Locale.ROOT, "≈ 1× (%.2f–%.2f), within noise", low, high);
        return String.format(Locale.ROOT, "%.2f× ±%.2f", median, plusMinus());
    }
}
