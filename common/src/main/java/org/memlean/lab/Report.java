package org.memlean.lab;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.memlean.memory.Bytes;
import org.memlean.memory.Category;

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
        predicted = Collections.unmodifiableMap(new LinkedHashMap<>(predicted));
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

    /** The arm {@code arm} is compared with: the baseline, or the baseline of its group. */
    public Measurement reference(Measurement arm) {
        return arms.get(arm.reference());
    }

    /** Peak saved by {@code arm}, as a fraction of its reference's peak (negative: it costs memory). */
    public double saving(Measurement arm) {
        Measurement ref = reference(arm);
        return ref.peakBytes() == 0 ? 0 : 1 - (double) arm.peakBytes() / ref.peakBytes();
    }

    /** The headline technique's step time over the baseline's, with its uncertainty. */
    public Ratio timeRatio() {
        return timeRatio(techniqueRun());
    }

    public Ratio timeRatio(Measurement arm) {
        return Ratio.of(arm.timing(), reference(arm).timing());
    }

    /** The headline technique's counted work over the baseline's. */
    public double workRatio() {
        return techniqueRun().work().ratioTo(baseline().work());
    }

    /**
     * One row per arm: peak, saving, median step, time ratio with its uncertainty, work ratio and
     * final loss; the headline arm marked with *. Printed in one piece.
     */
    public String table() {
        boolean communicates = arms.stream().anyMatch(m -> m.work().sentBytes() > 0);
        boolean grows = arms.stream().anyMatch(m -> m.growthPerStep() != 0);
        List<String> header = new ArrayList<>(List.of("arm", "peak", "saving", "step (median)", "time", "work"));
        if (communicates) header.add("sent/step");
        if (grows) header.add("growth/step");
        header.add("final loss");
        TextTable t = new TextTable(header.toArray(new String[0]));
        for (Measurement m : arms) {
            boolean isReference = reference(m) == m;
            List<String> row = new ArrayList<>(List.of(m.name() + (m == techniqueRun() ? " *" : ""),
                    Bytes.format(m.peakBytes()),
                    isReference && m != baseline() ? "–" : percent(saving(m)),
                    String.format(Locale.ROOT, "%.1f ms", m.stepMillis()),
                    isReference ? "baseline" : timeRatio(m).format(),
                    String.format(Locale.ROOT, "%.2f×", m.work().ratioTo(reference(m).work()))));
            if (communicates) row.add(Bytes.format(m.work().sentBytes()));
            if (grows) row.add(Bytes.formatRate(m.growthPerStep()));
            row.add(String.format(Locale.ROOT, "%.4f", m.finalLoss()));
            t.row(row.toArray(new String[0]));
        }
        return t.toString();
    }

    /** A fraction as a percentage with one decimal, never "-0.0%". */
    public static String percent(double fraction) {
        double p = Math.round(1000 * fraction) / 10.0;
        return String.format(Locale.ROOT, "%.1f%%", p == 0 ? 0.0 : p);
    }

    /** Each arm's ledger by category at its peak, one column per arm. */
    public String peakTable() {
        String[] header = new String[arms.size() + 1];
        header[0] = "at the peak";
        for (int i = 0; i < arms.size(); i++) header[i + 1] = arms.get(i).name();
        TextTable t = new TextTable(header);
        for (Category cat : Category.values()) {
            Object[] row = new Object[arms.size() + 1];
            row[0] = cat.name();
            for (int i = 0; i < arms.size(); i++) {
                row[i + 1] = Bytes.format(arms.get(i).peakByCategory().get(cat));
            }
            t.row(row);
        }
        return t.toString();
    }
}
