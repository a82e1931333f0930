package org.memlean.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.style.Styler;
import org.memlean.memory.Category;
import org.memlean.memory.MemoryEvent;

class ChartsTest {
    /** Distinct colours in an image: a blank or single-colour drawing has one or two. */
    private static int colours(BufferedImage image) {
        Set<Integer> seen = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) for (int x = 0; x < image.getWidth(); x += 2) seen.add(image.getRGB(x, y));
        return seen.size();
    }

    @Test
    void moreSeriesThanColoursStillDrawEverySeries() {
        Map<String, double[]> series = new LinkedHashMap<>();
        for (int i = 0; i < 25; i++) series.put("series " + i, new double[] {i, i + 1, i + 2});
        var lines = Charts.lines("many", "loss", series);
        assertThat(lines.getSeriesMap()).hasSize(25);
        assertThat(colours(Charts.image(lines))).as("the palette's colours, and more for antialiasing").isGreaterThan(12);
        Map<String, Map<Category, Long>> runs = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) runs.put("run " + i, Map.of(Category.PARAMETER, 1L << 20));
        var bars = Charts.categoryBars("bars", runs);
        assertThat(bars.getSeriesMap()).as("one series a run").hasSize(12);
        assertThat(bars.getSeriesMap().values()).allSatisfy(s -> assertThat(s.getXData()).hasSize(Category.values().length));
        assertThat(colours(Charts.image(bars))).isGreaterThan(2);
        assertThat(Charts.seriesColor(13)).as("colours repeat past the palette").isEqualTo(Charts.seriesColor(3));
        assertThat(Charts.seriesColor(4)).isNotEqualTo(Charts.seriesColor(3));
    }

    @Test
    void aCaptionAddsItsLinesUnderTheImage() {
        BufferedImage image = new BufferedImage(300, 100, BufferedImage.TYPE_INT_RGB);
        BufferedImage captioned = Charts.captioned(image, "a caption long enough to be wrapped over two lines or more "
                + "because it does not fit into three hundred pixels of width");
        assertThat(captioned.getHeight()).isGreaterThan(100 + 2 * 14);
        assertThat(captioned.getWidth()).isEqualTo(300);
    }

    @Test
    void phaseMarksBecomeLabelledLinesOnTheMemoryChart() {
        long[] live = new long[Category.values().length];
        List<MemoryEvent> timeline = List.of(
                new MemoryEvent(0, 0, MemoryEvent.Kind.MARK, null, 0, "forward", live, 0, 0),
                new MemoryEvent(1, 1, MemoryEvent.Kind.ALLOCATE, Category.ACTIVATION, 1 << 20, "x", live, 0, 0),
                new MemoryEvent(2, 2, MemoryEvent.Kind.MARK, null, 0, "backward", live, 0, 0),
                new MemoryEvent(3, 3, MemoryEvent.Kind.MARK, null, 0, "step done", live, 0, 0),
                new MemoryEvent(4, 4, MemoryEvent.Kind.MARK, null, 0, "optimizer", live, 0, 0));
        assertThat(Charts.phaseMarks(timeline)).containsExactly(new Charts.PhaseMark(0, "F"), new Charts.PhaseMark(2, "B"),
                new Charts.PhaseMark(4, "O"));
        var chart = Charts.memoryOverStep("t", timeline, 1);
        assertThat(chart.getStyler().getLegendPosition()).as("the legend sits outside the plotted data")
                .isIn(Styler.LegendPosition.OutsideE, Styler.LegendPosition.OutsideS);
        assertThat(chart.getSeriesMap()).hasSize(Category.values().length);
    }

    @Test
    void pastThirtyMarksOnlyTheOptimizerStepsAreMarked() {
        long[] live = new long[Category.values().length];
        List<MemoryEvent> timeline = new ArrayList<>();
        for (int step = 0; step < 12; step++) {
            for (String phase : List.of("forward", "backward", "optimizer")) {
                timeline.add(new MemoryEvent(timeline.size(), 0, MemoryEvent.Kind.MARK, null, 0, phase, live, 0, 0));
            }
        }
        assertThat(Charts.phaseMarks(timeline)).hasSize(12).allSatisfy(m -> assertThat(m.letter()).isEqualTo("O"));
    }
}
