package org.memlean.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.memlean.memory.Bytes;
import org.memlean.memory.Device;

/** The tour's report: one self-contained HTML page (images inlined), a table and a chart per chapter. */
public final class HtmlReport {
    private HtmlReport() {}

    public static void write(Path file, List<Report> reports, String sizeName) throws IOException {
        StringBuilder html = new StringBuilder("""
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>memlean — the tour</title>
                <style>
                body { font-family: "DejaVu Sans", sans-serif; margin: 2em auto; max-width: 1280px; color: #222; }
                table { border-collapse: collapse; } td, th { padding: 4px 12px; border-bottom: 1px solid #ddd; }
                td.n { text-align: right; font-variant-numeric: tabular-nums; } img { max-width: 100%; }
                </style></head><body>
                <h1>memlean — ten ways to train in less memory</h1>
                """);
        html.append("<p>Measured on the ").append(Device.backendName()).append(" backend, size ").append(sizeName)
                .append(", ").append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME))
                .append(". Every figure is the backend's own count of native bytes; the ledger that splits it by "
                        + "category reconciles with it to the byte.</p>\n");
        html.append("<table><tr><th>chapter</th><th>technique</th><th>baseline peak</th><th>technique peak</th>"
                + "<th>saving</th><th>time</th></tr>\n");
        for (Report r : reports) {
            html.append(String.format(Locale.ROOT,
                    "<tr><td><a href=\"#ch%02d\">ch%02d</a></td><td>%s</td><td class=n>%s</td><td class=n>%s</td>"
                            + "<td class=n>%.1f%%</td><td class=n>%.2f×</td></tr>%n",
                    r.chapter(), r.chapter(), escape(r.technique()), Bytes.format(r.baseline().peakBytes()),
                    Bytes.format(r.techniqueRun().peakBytes()), 100 * r.saving(), r.timeRatio()));
        }
        html.append("</table>\n");
        for (Report r : reports) {
            html.append(String.format("<h2 id=\"ch%02d\">%d. %s</h2>%n", r.chapter(), r.chapter(), escape(r.title())));
            html.append("<p>Memory over one measured run, stacked by category: ").append(escape(r.baseline().name()))
                    .append(" (left) and ").append(escape(r.techniqueRun().name())).append(" (right), same scale.</p>\n");
            html.append(Charts.imgTag(Charts.sideBySide(r), r.title())).append('\n');
            if (!r.predicted().isEmpty()) {
                html.append("<p>Predicted by the chapter's formula: ");
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
