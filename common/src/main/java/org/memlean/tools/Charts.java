package org.memlean.tools;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.memlean.lab.Measurement;
import org.memlean.lab.Report;
import org.memlean.memory.Bytes;
import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.MemoryEvent;

/**
 * Charts of what the meter recorded, drawn with XChart into images (no browser, no network):
 * memory over a run stacked by category, every arm of a report side by side, curves and bars.
 * Legends sit outside the plotted data; the x-axis of a memory chart marks the phases of each
 * step (F forward, B backward, O optimizer) instead of raw event numbers; {@link #captioned} puts a
 * one-line caption under an image, saying what to look at.
 */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** One colour per category, the same in every chart. */
    private static final Color[] CATEGORY_COLORS = {
            new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868),
            new Color(0xC44E52), new Color(0x8172B3), new Color(0x937860)};

    /** Colours for series (arms, optimizers …), cycled when there are more series than colours. */
    private static final Color[] SERIES_COLORS = {
            new Color(0x1F77B4), new Color(0xFF7F0E), new Color(0x2CA02C), new Color(0xD62728), new Color(0x9467BD),
            new Color(0x8C564B), new Color(0xE377C2), new Color(0x7F7F7F), new Color(0xBCBD22), new Color(0x17BECF)};

    /** The phase marks a memory chart labels, and their letters. */
    private static final Map<String, String> PHASES = Map.of("forward", "F", "backward", "B", "optimizer", "O");

    /** Short legend names of the categories (so six fit on one line under a chart). */
    private static final String[] CATEGORY_NAMES = {"parameters", "gradients", "optimizer", "activations",
            "temporaries", "inputs"};

    private Charts() {}

    static Color seriesColor(int index) {
        return SERIES_COLORS[Math.floorMod(index, SERIES_COLORS.length)];
    }

    private static void style(Styler styler) {
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(Styler.LegendLayout.Horizontal);
        styler.setLegendBorderColor(Color.WHITE);
        styler.setChartTitleBoxVisible(false);
    }

    /**
     * Live bytes (MiB) over the events of a measurement, stacked by category: each band is one
     * category, the top edge is the ledger total (which equals the backend counter). Phase marks
     * on the timeline become dashed vertical lines labelled F (forward), B (backward), O (optimizer).
     */
    public static XYChart memoryOverStep(String title, List<MemoryEvent> timeline, double maxMebibytes) {
        return memoryOverStep(title, timeline, maxMebibytes, true);
    }

    private static XYChart memoryOverStep(String title, List<MemoryEvent> timeline, double maxMebibytes, boolean legend) {
        XYChart chart = new XYChartBuilder().width(600).height(legend ? 400 : 340).title(title)
                .xAxisTitle("events of the run (F forward, B backward, O optimizer)").yAxisTitle("MiB live").build();
        style(chart.getStyler());
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
        chart.getStyler().setPlotGridLinesVisible(false);
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setXAxisTicksVisible(false);
        chart.getStyler().setLegendVisible(legend);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
        chart.getStyler().setYAxisMin(0.0);
        double highest = maxMebibytes;
        if (highest <= 0) {   // the timeline's own highest total
            for (MemoryEvent e : timeline) highest = Math.max(highest, e.ledgerLive() / 1048576.0);
        }
        double top = highest > 0 ? highest * 1.12 : 1;
        chart.getStyler().setYAxisMax(top);
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
            XYSeries s = chart.addSeries(CATEGORY_NAMES[k], x, cumulative[k]);
            s.setMarker(SeriesMarkers.NONE);
            s.setFillColor(CATEGORY_COLORS[k]);
            s.setLineColor(CATEGORY_COLORS[k].darker());
        }
        for (PhaseMark m : phaseMarks(timeline)) {
            chart.addAnnotation(new AnnotationLine(m.event(), true, false));
            chart.addAnnotation(new AnnotationText(m.letter(), m.event(), top * 0.95, false));
        }
        return chart;
    }

    /** A phase's start on a memory chart: the event's index and its letter (F, B, O). */
    record PhaseMark(int event, String letter) {}

    /**
     * The phase marks of a timeline: every forward, backward and optimizer mark — or, past 30 (a smear
     * on the chart), only the optimizer steps.
     */
    static List<PhaseMark> phaseMarks(List<MemoryEvent> timeline) {
        List<PhaseMark> marks = new ArrayList<>();
        for (int i = 0; i < timeline.size(); i++) {
            MemoryEvent e = timeline.get(i);
            String letter = e.kind() == MemoryEvent.Kind.MARK ? PHASES.get(e.label()) : null;
            if (letter != null) marks.add(new PhaseMark(i, letter));
        }
        if (marks.size() > 30) marks.removeIf(m -> !"O".equals(m.letter()));
        return marks;
    }

    /** Every arm of a report, on the same scale, in a grid (three across), with a caption. */
    public static BufferedImage arms(Report report) {
        double max = report.arms().stream().mapToLong(Measurement::peakBytes).max().orElse(0) / 1048576.0;
        List<BufferedImage> images = new ArrayList<>();
        for (Measurement m : report.arms()) {
            images.add(image(memoryOverStep(m.name() + " — peak " + Bytes.format(m.peakBytes()),
                    m.timeline(), max, false)));
        }
        BufferedImage grid = grid(images, 3);
        return captioned(stack(grid, categoryLegend(grid.getWidth())), "Memory over each arm's run, stacked by "
                + "category, same scale (F forward, B backward, O optimizer step): compare the red band (activations) "
                + "and the peak of each.");
    }

    /** One line of coloured boxes naming the categories: the legend every memory chart of a grid shares. */
    static BufferedImage categoryLegend(int width) {
        BufferedImage out = new BufferedImage(width, 34, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, out.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        FontMetrics fm = g.getFontMetrics();
        int x = 12;
        for (int k = 0; k < CATEGORY_NAMES.length; k++) {
            g.setColor(CATEGORY_COLORS[k]);
            g.fillRect(x, 10, 16, 16);
            g.setColor(new Color(0x333333));
            g.drawString(CATEGORY_NAMES[k], x + 22, 10 + fm.getAscent() - 1);
            x += 22 + fm.stringWidth(CATEGORY_NAMES[k]) + 24;
        }
        g.dispose();
        return out;
    }

    /** Two images, one above the other. */
    static BufferedImage stack(BufferedImage top, BufferedImage bottom) {
        BufferedImage out = new BufferedImage(Math.max(top.getWidth(), bottom.getWidth()), top.getHeight() + bottom.getHeight(),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(top, 0, 0, null);
        g.drawImage(bottom, 0, top.getHeight(), null);
        g.dispose();
        return out;
    }

    /** Images laid out left to right, {@code across} to a row. */
    public static BufferedImage grid(List<BufferedImage> images, int across) {
        if (images.isEmpty()) throw new IllegalArgumentException("no images to lay out");
        int cols = Math.min(across, images.size());
        int rows = (images.size() + cols - 1) / cols;
        int w = images.stream().mapToInt(BufferedImage::getWidth).max().orElse(1);
        int h = images.stream().mapToInt(BufferedImage::getHeight).max().orElse(1);
        BufferedImage out = new BufferedImage(cols * w, rows * h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        for (int i = 0; i < images.size(); i++) g.drawImage(images.get(i), (i % cols) * w, (i / cols) * h, null);
        g.dispose();
        return out;
    }

    /** The image with a one-line caption (wrapped if long) under it. */
    public static BufferedImage captioned(BufferedImage image, String caption) {
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(font);
        List<String> lines = wrap(caption, fm, image.getWidth() - 24);
        pg.dispose();
        int lineHeight = fm.getHeight();
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight() + lines.size() * lineHeight + 14,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(image, 0, 0, null);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(new Color(0x333333));
        g.setFont(font);
        for (int i = 0; i < lines.size(); i++) {
            g.drawString(lines.get(i), 12, image.getHeight() + 4 + fm.getAscent() + i * lineHeight);
        }
        g.dispose();
        return out;
    }

    private static List<String> wrap(String text, FontMetrics fm, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            String next = line.length() == 0 ? word : line + " " + word;
            if (fm.stringWidth(next) > width && line.length() > 0) {
                lines.add(line.toString());
                line = new StringBuilder(word);
            } else {
                line = new StringBuilder(next);
            }
        }
        if (line.length() > 0) lines.add(line.toString());
        return lines;
    }

    /** One line per named series (for loss curves), x = step 1, 2, …. */
    public static XYChart lines(String title, String yTitle, Map<String, double[]> series) {
        int n = series.values().stream().mapToInt(v -> v.length).max().orElse(0);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = i + 1;
        return curves(title, "step", yTitle, x, series, false);
    }

    /** {@link #lines} on a logarithmic y axis: where curves that end close together differ by a factor. */
    public static XYChart logLines(String title, String yTitle, Map<String, double[]> series) {
        XYChart chart = lines(title, yTitle, series);
        chart.getStyler().setYAxisMin(null);
        chart.getStyler().setYAxisLogarithmic(true);
        return chart;
    }

    /** One line per named series over shared x values, with markers if asked (for sweeps). */
    public static XYChart curves(String title, String xTitle, String yTitle, double[] x, Map<String, double[]> series,
                                 boolean markers) {
        XYChart chart = new XYChartBuilder().width(640).height(380).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        style(chart.getStyler());
        chart.getStyler().setYAxisMin(0.0);
        int k = 0;
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            XYSeries s = chart.addSeries(e.getKey(), Arrays.copyOf(x, e.getValue().length), e.getValue());
            if (!markers) s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(seriesColor(k));
            s.setMarkerColor(seriesColor(k));
            k++;
        }
        return chart;
    }

    /** Bytes per category (MiB) for several named runs, as grouped bars. */
    public static CategoryChart categoryBars(String title, Map<String, Map<Category, Long>> runs) {
        CategoryChart chart = new CategoryChartBuilder().width(720).height(380).title(title).yAxisTitle("MiB").build();
        style(chart.getStyler());
        List<String> names = Arrays.asList(CATEGORY_NAMES);
        int k = 0;
        for (Map.Entry<String, Map<Category, Long>> run : runs.entrySet()) {
            chart.addSeries(run.getKey(), names, Arrays.stream(Category.values())
                    .map(c -> run.getValue().getOrDefault(c, 0L) / 1048576.0).toList()).setFillColor(seriesColor(k++));
        }
        return chart;
    }

    /** Measured beside predicted bytes per category (MiB), as grouped bars. */
    public static CategoryChart measuredVsPredicted(String title, Map<Category, Long> measured,
                                                    Map<Category, Long> predicted) {
        Map<String, Map<Category, Long>> runs = new LinkedHashMap<>();
        runs.put("measured", measured);
        runs.put("predicted", predicted);
        return categoryBars(title, runs);
    }

    /** Named values as bars (one series): step times, bytes per parameter. */
    public static CategoryChart bars(String title, String yTitle, Map<String, Double> values) {
        CategoryChart chart = new CategoryChartBuilder().width(720).height(380).title(title).yAxisTitle(yTitle).build();
        style(chart.getStyler());
        chart.getStyler().setLegendVisible(false);
        chart.addSeries(yTitle, new ArrayList<>(values.keySet()), new ArrayList<>(values.values()))
                .setFillColor(seriesColor(0));
        return chart;
    }

    /** The image of any XChart chart. */
    public static BufferedImage image(Chart<?, ?> chart) {
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
