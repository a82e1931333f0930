package org.memlean.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Training;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The leak detector finds a leak of a known size with its category and label, and passes a clean loop. */
class LeakCheckTest {
    @Test
    void aCleanTrainingLoopGrowsByZeroBytesAndTheBackendAgrees() {
        try (Gpt model = new Gpt(GptConfig.defaults()); AdamW adam = new AdamW(model.parameters(), 1e-3)) {
            ReversalTask task = new ReversalTask(4, 1);
            LeakCheck.Result r = LeakCheck.run(1, 6, i -> Training.step(model, adam, task, 8)).assertNoLeak();
            assertThat(r.bytesPerStep()).isZero();
            assertThat(r.grewByCategory()).isEmpty();
            assertThat(r.neverReleased()).isEmpty();
            assertThat(r.describe()).startsWith("no growth over 6 steps");
        }
    }

    @Test
    void aBufferKeptEachStepIsMeasuredToTheByteWithItsCategoryAndLabel() {
        List<Storage> kept = new ArrayList<>();
        LeakCheck.Result r = LeakCheck.run(0, 8, i -> {
            try (Scope step = Scope.open()) {
                Memory.allocate(DataType.FLOAT, new long[] {64}, Category.TEMPORARY, "scratch");   // freed by the scope
                Storage s = Memory.allocate(DataType.FLOAT, new long[] {100}, Category.TEMPORARY, "history");
                step.keep(s);                                        // the bug: kept past the step
                kept.add(s);
            }
        });
        assertThat(r.bytesPerStep()).isEqualTo(400.0);
        assertThat(r.grewByCategory()).containsExactly(Map.entry(Category.TEMPORARY, 7 * 400L));
        assertThat(r.neverReleased()).containsExactly(Map.entry("TEMPORARY 'history'", 8 * 400L));
        assertThatThrownBy(() -> r.assertNoLeak("the history loop")).isInstanceOf(AssertionError.class)
                .hasMessageContaining("the history loop leaks: the live bytes grow by +400 B per step over 8 steps")
                .hasMessageContaining("TEMPORARY 'history' 3.13 KiB");
        kept.forEach(Storage::free);
    }

    @Test
    void theSlopeIsALeastSquaresFit() {
        assertThat(LeakCheck.slope(new long[] {5, 5, 5})).isZero();
        assertThat(LeakCheck.slope(new long[] {0, 10, 20, 30})).isEqualTo(10.0);
        assertThat(LeakCheck.slope(new long[] {0, 0, 12, 12})).isEqualTo(4.8);
        assertThatThrownBy(() -> LeakCheck.run(0, 1, i -> { })).hasMessageContaining("at least 2 steps");
    }
}
