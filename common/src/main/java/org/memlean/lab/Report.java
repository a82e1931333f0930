package org.memlean.lab;

import java.util.Map;

/**
 * A chapter's result: the same training steps run as baseline and with the technique.
 *
 * @param chapter the chapter number
 * @param title the chapter's title
 * @param technique the technique in a few words
 * @param baseline the measured baseline
 * @param techniqueRun the measured technique
 * @param predicted the chapter's analytic model, by name (bytes)
 */
public record Report(int chapter, String title, String technique, Measurement baseline, Measurement techniqueRun,
                     Map<String, Long> predicted) {
    /** Peak saved by the technique, as a fraction of the baseline's peak. */
    public double saving() {
        return baseline.peakBytes() == 0 ? 0 : 1 - (double) techniqueRun.peakBytes() / baseline.peakBytes();
    }

    /** Step time of the technique over the baseline's. */
    public double timeRatio() {
        return baseline.stepMillis() == 0 ? 0 : techniqueRun.stepMillis() / baseline.stepMillis();
    }
}
