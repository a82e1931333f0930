package org.memlean.lab;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.memlean.memory.Category;
import org.memlean.memory.MemoryEvent;

/**
 * Charts of what the meter recorded, drawn with XChart into images (no browser, no network):
 * memory over a step stacked by category, and two such charts side by side.
 */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** One colour per category, the same in every chart. */
    private static final Color[] COLORS = {
            new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868),
            new Color(0xC44E52), new Color(0x8172B3), new Color(0x937860)};

    private Charts() {}

    /**
     * Live bytes (MiB) over the events of a measurement, stacked by category: each band is one
     * category, the top edge is the ledger total (which equals the backend counter).
     */
    public static XYChart memoryOverStep(String title, List<MemoryEvent> timeline, double maxMebibytes) {
        XYChart chart = new XYChartBuilder().width(620).height(380).title(title)
                .xAxisTitle("event (allocation or release)").yAxisTitle("MiB live").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(false);
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setYAxisMin(0.0);
        if (maxMebibytes > 0) chart.getStyler().setYAxisMax(maxMebibytes * 1.05);
        int n = Math.max(1, timeline.size());
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = i;
        Category[] categories = Category.values();
        // cumulative sums drawn from the top band down, so each visible band is one category
        double[][] cumulative = new double[categories.length][n];
        for (int i = 0; i < timeline.size(); i++) {
            double sum = 0;
            for (Category c : categories) {
                sum += timeline.get(i).liveByCategory()[c.ordinal()] / 1048576.0;
                cumulative[c.ordinal()][i] = sum;
            }
        }
        for (int k = categories.length - 1; k >= 0; k--) {
            XYSeries s = chart.addSeries(categories[k].name().toLowerCase().replace('_', ' '), x, cumulative[k]);
            s.setMarker(SeriesMarkers.NONE);
            s.setFillColor(COLORS[k]);
            s.setLineColor(COLORS[k].darker());
        }
        return chart;
    }

    /** Baseline and technique, side by side on the same scale. */
    public static BufferedImage sideBySide(Report report) {
        double max = Math.max(report.baseline().peakBytes(), report.techniqueRun().peakBytes()) / 1048576.0;
        BufferedImage left = BitmapEncoder.getBufferedImage(memoryOverStep(report.baseline().name(),
                report.baseline().timeline(), max));
        BufferedImage right = BitmapEncoder.getBufferedImage(memoryOverStep(report.techniqueRun().name(),
                report.techniqueRun().timeline(), max));
        BufferedImage both = new BufferedImage(left.getWidth() + right.getWidth(), Math.max(left.getHeight(),
                right.getHeight()), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = both.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, both.getWidth(), both.getHeight());
        g.drawImage(left, 0, 0, null);
        g.drawImage(right, left.getWidth(), 0, null);
        g.dispose();
        return both;
    }

    /** One line per named series (for loss curves), x = step 1, 2, …. */
    public static XYChart lines(String title, String yTitle, java.util.Map<String, double[]> series) {
        int n = series.values().stream().mapToInt(v -> v.length).max().orElse(0);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = i + 1;
        return curves(title, "step", yTitle, x, series, false);
    }

    /** One line per named series over shared x values, with markers if asked (for sweeps). */
    public static XYChart curves(String title, String xTitle, String yTitle, double[] x,
                                 java.util.Map<String, double[]> series, boolean markers) {
        XYChart chart = new XYChartBuilder().width(620).height(360).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setYAxisMin(0.0);
        int k = 0;
        for (java.util.Map.Entry<String, double[]> e : series.entrySet()) {
            XYSeries s = chart.addSeries(e.getKey(), java.util.Arrays.copyOf(x, e.getValue().length), e.getValue());
            if (!markers) s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(COLORS[k]);
            s.setMarkerColor(COLORS[k++ % COLORS.length]);
        }
        return chart;
    }

    /** Bytes per category (MiB) for several named runs, as grouped bars. */
    public static org.knowm.xchart.CategoryChart categoryBars(String title,
                                                               java.util.Map<String, java.util.Map<Category, Long>> runs) {
        org.knowm.xchart.CategoryChart chart = new org.knowm.xchart.CategoryChartBuilder().width(720).height(360)
                .title(title).yAxisTitle("MiB").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        List<String> names = java.util.Arrays.stream(Category.values())
                .map(c -> c.name().toLowerCase().replace('_', ' ')).toList();
        int k = 0;
        for (java.util.Map.Entry<String, java.util.Map<Category, Long>> run : runs.entrySet()) {
            chart.addSeries(run.getKey(), names, java.util.Arrays.stream(Category.values())
                    .map(c -> run.getValue().get(c) / 1048576.0).toList()).setFillColor(COLORS[k++ % COLORS.length]);
        }
        return chart;
    }

    /** Measured beside predicted bytes per category (MiB), as grouped bars. */
    public static org.knowm.xchart.CategoryChart measuredVsPredicted(String title,
                                                                      java.util.Map<Category, Long> measured,
                                                                      java.util.Map<Category, Long> predicted) {
        java.util.Map<String, java.util.Map<Category, Long>> runs = new java.util.LinkedHashMap<>();
        runs.put("measured", measured);
        runs.put("predicted", predicted);
        return categoryBars(title, runs);
    }

    /** The image of any XChart chart. */
    public static BufferedImage image(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) {
        return BitmapEncoder.getBufferedImage(chart);
    }


    /** PNG bytes of an image. */
    public static byte[] png(BufferedImage image) {
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An {@code <img>} tag with the image inlined as base64 (opens without a network). */
    public static String imgTag(BufferedImage image, String alt) {
        return "<img alt=\"" + alt.replace("\"", "&quot;") + "\" src=\"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(png(image)) + "\">";
    }
}
