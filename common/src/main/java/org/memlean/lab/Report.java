package org.memlean.lab;

import java.util.List;
import java.util.Map;

/**
 * A chapter's result: the same training steps run by every arm of its experiment.
 *
 * @param chapter the chapter number
 * @param title the chapter's title
 * @param technique the technique in a few words
 * @param arms every measured arm, the baseline first
 * @param headline the index in {@code arms} of the chapter's headline technique
 * @param predicted the chapter's analytic model, by name (bytes)
 */
public record Report(int chapter, String title, String technique, List<Measurement> arms, int headline,
                     Map<String, Long> predicted) {
    public Report {
        arms = List.copyOf(arms);
        if (arms.size() < 2) throw new IllegalArgumentException("a report needs a baseline and at least one other arm");
        if (headline < 1 || headline >= arms.size()) {
            throw new IllegalArgumentException("headline arm " + headline + " is not one of arms 1.." + (arms.size() - 1));
        }
        predicted = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(predicted));
    }

    /** The baseline arm. */
    public Measurement baseline() {
        return arms.get(0);
    }

    /** The headline technique's arm. */
    public Measurement techniqueRun() {
        return arms.get(headline);
    }

    /** Peak saved by the headline technique, as a fraction of the baseline's peak. */
    public double saving() {
        return saving(techniqueRun());
    }

    /** Peak saved by {@code arm}, as a fraction of the baseline's peak (negative: it costs memory). */
    public double saving(Measurement arm) {
        return baseline().peakBytes() == 0 ? 0 : 1 - (double) arm.peakBytes() / baseline().peakBytes();
    }

    /** The headline technique's step time over the baseline's, with its uncertainty. */
    public Ratio timeRatio() {
        return timeRatio(techniqueRun());
    }

    public Ratio timeRatio(Measurement arm) {
        return Ratio.of(arm.timing(), baseline().timing());
    }

    /** The headline technique's counted work over the baseline's. */
    public double workRatio() {
        return techniqueRun().work().ratioTo(baseline().work());
    }
}
