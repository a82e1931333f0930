package org.memlean.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.memlean.lab.Measurement;
import org.memlean.lab.Report;
import org.memlean.memory.Bytes;
import org.memlean.memory.Device;

/** The tour's report: one self-contained HTML page (images inlined), a table and a chart per chapter. */
final class HtmlReport {
    private HtmlReport() {}

    /**
     * The font stack: DejaVu for Latin text, then CJK fonts common on Linux, macOS and Windows, so
     * the chapters' Chinese titles render wherever any CJK font exists.
     */
    static final String FONTS = "\"DejaVu Sans\", \"Noto Sans CJK SC\", \"Noto Sans SC\", \"Source Han Sans SC\", "
            + "\"WenQuanYi Micro Hei\", \"PingFang SC\", \"Hiragino Sans GB\", \"Microsoft YaHei\", sans-serif";

    public static void write(Path file, List<Report> reports, String sizeName, int threads) throws IOException {
        StringBuilder html = new StringBuilder("""
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>memlean — the tour</title>
                <style>
                body { font-family: %s; margin: 2em auto; max-width: 1700px; color: #222; }
                table { border-collapse: collapse; } td, th { padding: 4px 12px; border-bottom: 1px solid #ddd; }
                td.n { text-align: right; font-variant-numeric: tabular-nums; } img { max-width: 100%%; }
                p.caption { color: #555; font-size: 0.95em; }
                </style></head><body>
                <h1>memlean — ten ways to train in less memory</h1>
                """.formatted(FONTS));
        html.append("<p>Measured on the ").append(Device.backendName()).append(" backend with ").append(threads)
                .append(threads == 1 ? " compute thread" : " compute threads").append(", size ").append(sizeName)
                .append(", ").append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME))
                .append(". Every byte figure is the backend's own count of native bytes; the ledger that splits it by "
                        + "category reconciles with it to the byte. Times are medians of interleaved rounds with "
                        + "± half the interquartile range of the per-round ratios; work is counted, not timed.</p>\n");
        html.append("<table><tr><th>chapter</th><th>technique</th><th>baseline peak</th><th>technique peak</th>"
                + "<th>saving</th><th>time</th><th>work</th></tr>\n");
        for (Report r : reports) {
            html.append(String.format(Locale.ROOT,
                    "<tr><td><a href=\"#ch%02d\">ch%02d</a></td><td>%s</td><td class=n>%s</td><td class=n>%s</td>"
                            + "<td class=n>%s</td><td class=n>%s</td><td class=n>%.2f×</td></tr>%n",
                    r.chapter(), r.chapter(), escape(r.technique()), Bytes.format(r.baseline().peakBytes()),
                    Bytes.format(r.techniqueRun().peakBytes()), Report.percent(r.saving()), escape(r.timeRatio().format()),
                    r.workRatio()));
        }
        html.append("</table>\n");
        for (Report r : reports) {
            html.append(String.format("<h2 id=\"ch%02d\">%d. %s</h2>%n", r.chapter(), r.chapter(), escape(r.title())));
            html.append("<table><tr><th>arm</th><th>peak</th><th>saving</th><th>step (median)</th><th>time</th>"
                    + "<th>work</th><th>final loss</th></tr>\n");
            for (Measurement m : r.arms()) {
                html.append(String.format(Locale.ROOT,
                        "<tr><td>%s</td><td class=n>%s</td><td class=n>%s</td><td class=n>%.1f ms</td>"
                                + "<td class=n>%s</td><td class=n>%.2f×</td><td class=n>%.4f</td></tr>%n",
                        escape(m.name()), Bytes.format(m.peakBytes()), Report.percent(r.saving(m)), m.stepMillis(),
                        escape(r.reference(m) == m ? "baseline" : r.timeRatio(m).format()),
                        m.work().ratioTo(r.reference(m).work()), m.finalLoss()));
            }
            html.append("</table>\n");
            html.append(Charts.imgTag(Charts.arms(r), r.title())).append('\n');
            if (!r.predicted().isEmpty()) {
                html.append("<p class=caption>Predicted by the chapter's formula: ");
                r.predicted().forEach((k, v) -> html.append(escape(k)).append(" ").append(Bytes.format(v)).append("; "));
                html.append("</p>\n");
            }
        }
        html.append("</body></html>\n");
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        Files.writeString(file, html);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
