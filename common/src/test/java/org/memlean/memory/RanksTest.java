package org.memlean.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Training;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;

/** Simulated ranks: threads training at once, each with its own meter, budget and random stream. */
class RanksTest {
    private static final GptConfig CONFIG = GptConfig.defaults().withDropout(0.1);
    private static final long P = CONFIG.parameterCount();

    /** What one rank measured. */
    private record RankResult(long liveAfter, long ledgerPeak, Map<Category, Long> max, boolean concurrent,
                              double loss, long firstDraw, Throwable failure) {}

    private static RankResult train(int rank, long budget, int steps, CyclicBarrier start) {
        try (MemoryMeter meter = MemoryMeter.start("rank " + rank, false).limit(budget)) {
            start.await();
            Rng.seed(7, rank);
            long firstDraw = Rng.state();
            double loss;
            long liveAfter;
            try (Gpt model = new Gpt(CONFIG)) {
                AdamW adam = new AdamW(model.parameters(), 1e-3);
                ReversalTask task = new ReversalTask(4, 100 + rank);
                loss = 0;
                for (int i = 0; i < steps; i++) loss = Training.step(model, adam, task, 8);
                liveAfter = meter.liveBytes();
                adam.close();
            }
            return new RankResult(liveAfter, meter.ledgerPeakBytes(), meter.maxByCategory(), meter.isConcurrent(), loss,
                    firstDraw, null);
        } catch (Throwable t) {
            return new RankResult(0, 0, Map.of(), false, Double.NaN, 0, t);
        }
    }

    /** The peak of one rank's 20 steps, measured alone. */
    private static long alonePeak() {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("alone", false); Gpt model = new Gpt(CONFIG)) {
            Rng.seed(7, 0);
            AdamW adam = new AdamW(model.parameters(), 1e-3);
            ReversalTask task = new ReversalTask(4, 100);
            for (int i = 0; i < 3; i++) Training.step(model, adam, task, 8);
            adam.close();
            assertThat(meter.peakBytes()).isEqualTo(meter.ledgerPeakBytes());
            return meter.peakBytes();
        }
    }

    @Test
    void fourRanksTrainConcurrentlyEachExactInItsOwnLedgerAndTogetherExactAgainstTheBackend() throws Exception {
        long alone = alonePeak();
        int ranks = 4;
        Map<Integer, RankResult> results = new ConcurrentHashMap<>();
        CyclicBarrier start = new CyclicBarrier(ranks);
        Device.settle();
        try (ProcessCheck check = ProcessCheck.start()) {
            List<Thread> threads = new ArrayList<>();
            for (int r = 0; r < ranks; r++) {
                int rank = r;
                // rank 3 gets a "GPU" too small for its model and optimizer: it alone runs out of memory
                long budget = rank == 3 ? 12 * P : alone + alone / 10;
                Thread t = new Thread(() -> results.put(rank, train(rank, budget, 20, start)), "rank " + rank);
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) t.join(120_000);
            assertThat(check.events()).isGreaterThan(1000);
            assertThat(check.maxDeviationBytes()).as("backend counter − Σ ledgers, at every event of every rank (worst: %s)",
                    check.worstDeviation()).isZero();
        }
        for (int r = 0; r < 3; r++) {
            RankResult res = results.get(r);
            assertThat(res.failure()).as("rank %d", r).isNull();
            assertThat(res.concurrent()).isTrue();
            // its own bytes only: parameters and AdamW's moments stay, nothing of the other ranks
            assertThat(res.liveAfter()).as("rank %d after 20 steps", r).isEqualTo(16 * P - 4 * P);
            assertThat(res.max().get(Category.PARAMETER)).isEqualTo(4 * P);
            assertThat(res.max().get(Category.OPTIMIZER_STATE)).isEqualTo(8 * P);
            assertThat(res.ledgerPeak()).as("rank %d's peak is one rank's peak", r).isLessThanOrEqualTo(alone + alone / 10);
            assertThat(res.loss()).isFinite();
        }
        assertThat(results.get(0).firstDraw()).as("each rank its own random stream")
                .isNotEqualTo(results.get(1).firstDraw()).isNotEqualTo(results.get(2).firstDraw());
        Throwable oom = results.get(3).failure();
        assertThat(oom).isInstanceOf(DeviceOutOfMemoryException.class).hasMessageContaining("'rank 3'")
                .hasMessageContaining("Budget of 'rank 3'");
        assertThat(((DeviceOutOfMemoryException) oom).device()).isEqualTo("'rank 3'");
    }

    @Test
    void randomStreamsAreReproduciblePerRankAndDifferAcrossRanks() {
        long[] first = new long[4];
        for (int r = 0; r < 4; r++) {
            Rng.seed(11, r);
            first[r] = Rng.nextLong();
            Rng.seed(11, r);
            assertThat(Rng.nextLong()).isEqualTo(first[r]);
        }
        assertThat(first).doesNotHaveDuplicates();
    }
}
