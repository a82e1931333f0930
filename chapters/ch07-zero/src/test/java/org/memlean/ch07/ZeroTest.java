package org.memlean.ch07;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.memlean.ch07.Zero.Stage;
import org.memlean.ch07.ZeroChapter.RankFigures;
import org.memlean.ch07.ZeroChapter.Session;
import org.memlean.ch07.ZeroChapter.Setup;
import org.memlean.data.Examples;
import org.memlean.data.ReversalTask;
import org.memlean.dist.RankFailedException;
import org.memlean.lab.Size;
import org.memlean.memory.Category;
import org.memlean.memory.LeakCheck;
import org.memlean.memory.Listener;
import org.memlean.memory.Listeners;
import org.memlean.memory.MemoryMeter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ZeRO's stages against DDP and one device, every rank's memory and traffic against the formulas. */
class ZeroTest {
    private static final Setup QUICK = ZeroChapter.setup(Size.QUICK);

    /**
     * Every stage gives DDP's weights bit for bit: the thread collective sums each chunk in the same
     * order whichever operation reduces it, and ZeRO's AdamW runs AdamW's kernels on slices. Against
     * one device on the whole batch the weights agree within 10⁻⁴ — not exactly, because float sums
     * over the batch are split into per-rank partial sums (a different order of additions); 10⁻⁴ is
     * 1/30 of one AdamW step (lr = 3·10⁻³), and the measured gap is about 10⁻⁵.
     */
    @Test
    void everyStageEqualsDdpBitForBitAndOneDeviceWithinRounding() {
        Setup two = QUICK.withRanks(2);
        Map<String, float[]> ddp = ZeroChapter.trainedWeights(Stage.DDP, two, 2);
        Map<String, float[]> reference = ZeroChapter.referenceWeights(two, 2);
        for (Stage stage : List.of(Stage.ZERO1, Stage.ZERO2, Stage.ZERO3)) {
            assertThat(ZeroChapter.bitIdentical(ddp, ZeroChapter.trainedWeights(stage, two, 2))).as(stage.id()).isTrue();
        }
        double gap = ZeroChapter.maxDifference(reference, ddp);
        assertThat(gap).isLessThan(1e-4).isGreaterThan(0);
        // and the weights did move: the comparison is not between two untrained models
        assertThat(ZeroChapter.maxDifference(reference, ZeroChapter.referenceWeights(two, 0))).isGreaterThan(1e-3);
    }

    /** Each rank's highs of parameters, gradients and AdamW state, and its bytes sent, equal the formulas to the byte. */
    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void everyRanksMemoryAndTrafficEqualTheFormulas(int ranks) {
        Setup setup = QUICK.withRanks(ranks);
        for (Stage stage : Stage.values()) {
            Map<Category, Long> predicted = Zero.predictedMaxBytes(stage, setup.config(), ranks);
            long sent = Zero.bytesSentPerStep(stage, setup.config().parameterShapes(), ranks, 4);
            List<RankFigures> figures = ZeroChapter.perRank(stage, setup, 2);
            assertThat(figures).hasSize(ranks);
            for (RankFigures f : figures) {
                for (Category c : predicted.keySet()) {
                    assertThat(f.maxByCategory().get(c)).as("%s, rank %d, %s", stage.id(), f.rank(), c)
                            .isEqualTo(predicted.get(c));
                }
                assertThat(f.sentBytesPerStep()).as("%s, rank %d, bytes sent", stage.id(), f.rank()).isEqualTo(sent);
                assertThat(f.receivedBytesPerStep()).isEqualTo(sent);
            }
        }
        // and the formulas say what the paper says: ZeRO-3 holds about 1/N of DDP's model states
        long psi = setup.config().parameterCount();
        long s = Zero.shardElements(setup.config().parameterShapes(), ranks);
        assertThat(s * ranks - psi).isBetween(0L, (long) ranks * setup.config().parameterShapes().size());
        assertThat(Zero.modelStateBytes(Stage.ZERO3, psi, s, 4, 4, 8)).isEqualTo(16 * s);
    }

    /** A device the size of DDP's model states alone: DDP runs out of memory on every rank, ZeRO-3 trains. */
    @Test
    void underABudgetWhereDdpRunsOutOfMemoryZero3Trains() {
        long budget = Zero.modelStateBytes(Stage.DDP, QUICK.config().parameterCount(), 0, 4, 4, 8);
        ZeroChapter.Outcome ddp = ZeroChapter.underBudget(Stage.DDP, QUICK, budget, 2);
        ZeroChapter.Outcome zero3 = ZeroChapter.underBudget(Stage.ZERO3, QUICK, budget, 2);
        assertThat(ddp.trained()).isFalse();
        assertThat(ddp.error()).containsPattern("rank \\d failed in 'step \\d'")
                .contains("out of memory. Tried to allocate").contains("every rank of the group stopped");
        assertThat(zero3.trained()).isTrue();
        assertThat(zero3.peakBytes()).isLessThanOrEqualTo(budget);
    }

    /** A rank killed in the middle of a step (its 300th of about 900 kernels) stops the whole group with its error, and nothing leaks. */
    @Test
    void aRankKilledMidStepStopsEveryRankWithOneErrorAndFreesEverything() {
        Session session = new Session(Stage.ZERO3, QUICK, 0, Duration.ofSeconds(2));
        try {
            Examples global = new ReversalTask(QUICK.digits(), 5).nextExamples(QUICK.globalBatch());
            int b = QUICK.localBatch();
            long start = System.nanoTime();
            assertThatThrownBy(() -> session.group().run("step 0", r -> {
                if (r.index() == 2) Listeners.add(new KillAtKernel(300));
                return session.replica(r.index()).step(global.rows(r.index() * b, b));
            })).isInstanceOfSatisfying(RankFailedException.class, e -> {
                assertThat(e.rank()).isEqualTo(2);
                assertThat(e.getMessage()).startsWith("rank 2 failed in 'step 0': IllegalStateException: killed at kernel 300");
            });
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        } finally {
            session.close();
        }
        for (int r = 0; r < QUICK.ranks(); r++) assertThat(session.group().meter(r).liveBytes()).as("rank %d", r).isZero();
    }

    /** Steps leave each rank's device as they found it: what a step allocates, it frees. */
    @Test
    void noRankLeaksOverSteps() {
        for (Stage stage : Stage.values()) {
            try (Session session = new Session(stage, QUICK, 0)) {
                List<MemoryMeter> meters = new ArrayList<>();
                for (int r = 0; r < QUICK.ranks(); r++) meters.add(session.group().meter(r));
                LeakCheck.watch(meters, 1, 4, session::step).assertNoLeak(stage.id() + " on " + QUICK.ranks() + " ranks");
            }
        }
    }

    /**
     * The calculator reproduces the ZeRO paper's Figure 1 (Ψ = 7.5B, N = 64, K = 12): 120 GB, 31.4 GB,
     * 16.6 GB and 1.9 GB per device — the same formula the test above checks against the meter.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theCalculatorGivesThePapersFigure1() {
        ZeroCalculator calc = new ZeroCalculator();
        picocli.CommandLine cli = new picocli.CommandLine(calc);
        cli.parseArgs("--params", "7.5B", "--ranks", "64");
        Map<String, Long> bytes = (Map<String, Long>) calc.calculate().get("bytesPerDevice");
        assertThat(bytes).containsExactly(Map.entry("ddp", 120_000_000_000L), Map.entry("zero1", 31_406_250_000L),
                Map.entry("zero2", 16_640_625_000L), Map.entry("zero3", 1_875_000_000L));
        assertThat(ZeroCalculator.parseCount("350M")).isEqualTo(350_000_000L);
        assertThatThrownBy(() -> ZeroCalculator.parseCount("7.5X")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got '7.5X'");
    }

    @Test
    void ranksThatDoNotDivideTheBatchAreRefusedClearly() {
        assertThatThrownBy(() -> QUICK.withRanks(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the global batch of 8 does not split evenly among 3 ranks");
        assertThatThrownBy(() -> QUICK.withRanks(16)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--ranks must be between 1 and 8");
    }

    /** Throws at the n-th kernel its thread launches: a rank dying in the middle of a step. */
    private static final class KillAtKernel implements Listener {
        private final int at;
        private int seen;

        KillAtKernel(int at) {
            this.at = at;
        }

        @Override
        public void kernel(String name, long flops, Runnable call) {
            if (++seen == at) {
                Listeners.remove(this);
                throw new IllegalStateException("killed at kernel " + at + " (" + name + ")");
            }
        }
    }
}
