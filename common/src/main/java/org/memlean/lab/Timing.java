package org.memlean.lab;

import java.util.Arrays;

/**
 * Wall times of one arm's training steps, in the order they were taken (one per interleaved round),
 * summarised by their median and interquartile range. A single time on shared cores is noise; the
 * spread says how much.
 *
 * @param samplesMillis one step time per round, in round order (aligned across the arms of an experiment)
 */
public record Timing(double[] samplesMillis) {
    public Timing {
        samplesMillis = samplesMillis.clone();
    }

    public double median() {
        return quantile(samplesMillis, 0.5);
    }

    /** First quartile. */
    public double low() {
        return quantile(samplesMillis, 0.25);
    }

    /** Third quartile. */
    public double high() {
        return quantile(samplesMillis, 0.75);
    }

    /** The interquartile range. */
    public double spread() {
        return high() - low();
    }

    public int count() {
        return samplesMillis.length;
    }

    /** The q-quantile with linear interpolation between order statistics (0 for no samples). */
    public static double quantile(double[] values, double q) {
        if (values.length == 0) return 0;
        double[] s = values.clone();
        Arrays.sort(s);
        double position = q * (s.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(s.length - 1, below + 1);
        return s[below] + (position - below) * (s[above] - s[below]);
    }
}
