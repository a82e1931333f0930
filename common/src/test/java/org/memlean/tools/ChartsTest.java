package org.memlean.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memlean.memory.Category;
import org.memlean.memory.MemoryEvent;

class ChartsTest {
    @Test
    void moreSeriesThanColoursStillDraw() {
        Map<String, double[]> series = new LinkedHashMap<>();
        for (int i = 0; i < 25; i++) series.put("series " + i, new double[] {i, i + 1, i + 2});
        BufferedImage image = Charts.image(Charts.lines("many", "loss", series));
        assertThat(image.getWidth()).isPositive();
        Map<String, Map<Category, Long>> runs = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) runs.put("run " + i, Map.of(Category.PARAMETER, 1L << 20));
        assertThat(Charts.image(Charts.categoryBars("bars", runs)).getHeight()).isPositive();
        assertThat(Charts.seriesColor(13)).isEqualTo(Charts.seriesColor(3));
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
                new MemoryEvent(3, 3, MemoryEvent.Kind.MARK, null, 0, "optimizer", live, 0, 0));
        var chart = Charts.memoryOverStep("t", timeline, 1);
        assertThat(chart.getStyler().getLegendPosition()).as("the legend sits outside the plotted data")
                .isIn(org.knowm.xchart.style.Styler.LegendPosition.OutsideE, org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        assertThat(Charts.image(chart).getWidth()).isPositive();
    }
}
