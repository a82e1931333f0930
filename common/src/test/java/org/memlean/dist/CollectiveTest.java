package org.memlean.dist;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.memlean.lab.Work;
import org.memlean.memory.Category;
import org.memlean.memory.DeviceOutOfMemoryException;
import org.memlean.memory.Memory;
import org.memlean.memory.Storage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The thread collective against sums done by hand, its traffic against the ring formulas, and the
 * group's failures: a rank that throws, one that stops answering, ranks that disagree — each ends in
 * one clear error within the timeout, never a deadlock.
 */
class CollectiveTest {
    private static final Duration SHORT = Duration.ofSeconds(2);

    /** Rank r's value of element i: integers, so every float sum is exact. */
    private static float value(int rank, int i) {
        return 100 * (rank + 1) + i;
    }

    private static INDArray filled(int rank, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = value(rank, i);
        return Nd4j.create(v, new long[] {n}, DataType.FLOAT);
    }

    private static float sum(int ranks, int i) {
        float s = 0;
        for (int r = 0; r < ranks; r++) s += value(r, i);
        return s;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void allReduceSumsEveryElementOnEveryRankAndCountsTwoRingPasses(int ranks) {
        int n = 10;                                          // chunks of ⌈10/N⌉, the last one short
        try (Group g = Group.start(ranks, 0, SHORT, 1)) {
            List<float[]> out = g.run("all-reduce", r -> {
                INDArray a = filled(r.index(), n);
                r.collective().allReduce(a);
                return a.toFloatVector();
            });
            for (float[] got : out) for (int i = 0; i < n; i++) assertThat(got[i]).isEqualTo(sum(ranks, i));
            long s = Collective.chunk(n, ranks);
            for (int r = 0; r < ranks; r++) {
                assertThat(g.collective(r).traffic()).isEqualTo(new Collective.Traffic(2 * (ranks - 1) * s * 4,
                        2 * (ranks - 1) * s * 4, 1));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void reduceScatterGivesRankRItsChunkOfTheSumPaddedWithZeros(int ranks) {
        int n = 10;
        long s = Collective.chunk(n, ranks);
        try (Group g = Group.start(ranks, 0, SHORT, 1)) {
            List<float[]> out = g.run("reduce-scatter", r -> {
                INDArray shard = Nd4j.valueArrayOf(new long[] {s}, -1f);
                r.collective().reduceScatter(filled(r.index(), n), shard);
                return shard.toFloatVector();
            });
            for (int r = 0; r < ranks; r++) {
                for (int j = 0; j < s; j++) {
                    long i = r * s + j;
                    assertThat(out.get(r)[j]).as("rank %d, element %d", r, j).isEqualTo(i < n ? sum(ranks, (int) i) : 0f);
                }
                assertThat(g.collective(r).traffic().sentBytes()).isEqualTo((ranks - 1) * s * 4);
            }
        }
    }

    @Test
    void reduceScatterAndAllGatherInPlaceMakeAnAllReduce() {
        int ranks = 3;
        int n = 10;
        long s = Collective.chunk(n, ranks);
        try (Group g = Group.start(ranks, 0, SHORT, 1)) {
            List<float[]> out = g.run("in place", r -> {
                INDArray a = filled(r.index(), n);
                long lo = r.index() * s;
                INDArray mine = a.get(NDArrayIndex.interval(lo, Math.min(lo + s, n)));
                r.collective().reduceScatter(a, mine);
                r.collective().allGather(mine, a);
                return a.toFloatVector();
            });
            for (float[] got : out) for (int i = 0; i < n; i++) assertThat(got[i]).isEqualTo(sum(ranks, i));
        }
    }

    @Test
    void allGatherConcatenatesTheShardsInRankOrder() {
        int ranks = 4;
        int n = 10;
        long s = Collective.chunk(n, ranks);
        try (Group g = Group.start(ranks, 0, SHORT, 1)) {
            List<float[]> out = g.run("all-gather", r -> {
                INDArray shard = Nd4j.valueArrayOf(new long[] {s}, (float) r.index());
                INDArray full = Nd4j.create(DataType.FLOAT, 2, 5);        // any c-order shape of n elements
                r.collective().allGather(shard, full);
                return full.reshape('c', new long[] {n}).toFloatVector();
            });
            for (float[] got : out) for (int i = 0; i < n; i++) assertThat(got[i]).isEqualTo((float) (i / s));
        }
    }

    @Test
    void broadcastCopiesTheRootAndCountsTheRing() {
        int ranks = 4;
        int n = 6;
        try (Group g = Group.start(ranks, 0, SHORT, 1)) {
            List<float[]> out = g.run("broadcast", r -> {
                INDArray a = filled(r.index(), n);
                r.collective().broadcast(a, 2);
                return a.toFloatVector();
            });
            for (float[] got : out) for (int i = 0; i < n; i++) assertThat(got[i]).isEqualTo(value(2, i));
            // ring from the root: 2 → 3 → 0 → 1; the last (rank 1) sends nothing, the root receives nothing
            assertThat(g.collective(2).traffic().receivedBytes()).isZero();
            assertThat(g.collective(1).traffic().sentBytes()).isZero();
            assertThat(g.collective(0).traffic()).isEqualTo(new Collective.Traffic(n * 4, n * 4, 1));
        }
    }

    @Test
    void ranksThatCallDifferentCollectivesAllFailWithBothNamed() {
        try (Group g = Group.start(2, 0, Duration.ofSeconds(30), 1)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> g.run("mismatch", r -> {
                if (r.index() == 0) r.collective().allReduce(filled(0, 4));
                else r.collective().barrier();
                return null;
            })).isInstanceOf(RankFailedException.class)
                    .hasMessageContaining("ranks called different collectives")
                    .hasMessageContaining("allReduce of 4 FLOAT").hasMessageContaining("barrier");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aShardOfTheWrongLengthFailsTheGroupAtOnceNotAtTheTimeout() {
        try (Group g = Group.start(2, 0, Duration.ofSeconds(30), 1)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> g.run("bad shard", r -> {
                r.collective().reduceScatter(filled(r.index(), 10), Nd4j.create(DataType.FLOAT, r.index() == 1 ? 2 : 5));
                return null;
            })).isInstanceOf(RankFailedException.class)
                    .hasMessageContaining("reduceScatter on rank 1: the shard must hold between 5 and 5 FLOAT elements")
                    .hasMessageContaining("got 2");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aRankThatThrowsMidStepFailsEveryRankWithItsErrorAndTheGroupRefusesMore() {
        try (Group g = Group.start(4, 0, Duration.ofSeconds(30), 1)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> g.run("step 3", r -> {
                INDArray a = filled(r.index(), 8);
                r.collective().allReduce(a);
                if (r.index() == 2) throw new IllegalStateException("rank 2 was killed");
                r.collective().allReduce(a);                 // the others wait here for rank 2
                return null;
            })).isInstanceOfSatisfying(RankFailedException.class, e -> {
                assertThat(e.rank()).isEqualTo(2);
                assertThat(e.getMessage()).startsWith("rank 2 failed in 'step 3': IllegalStateException: rank 2 was killed");
                assertThat(e.getCause()).hasMessage("rank 2 was killed");
                assertThat(e.getSuppressed()).hasSize(3);    // the other ranks' collective errors
            });
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThatThrownBy(() -> g.run("step 4", r -> null)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the group failed earlier");
        }
    }

    @Test
    void aRankThatStopsAnsweringIsNamedWithinTheTimeout() {
        try (Group g = Group.start(3, 0, SHORT, 1)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> g.run("step 0", r -> {
                if (r.index() == 1) Thread.sleep(Long.MAX_VALUE);       // hangs: never reaches the collective
                r.collective().allReduce(filled(r.index(), 8));
                return null;
            })).isInstanceOfSatisfying(RankFailedException.class, e -> {
                assertThat(e.rank()).isEqualTo(1);
                assertThat(e.getMessage()).contains("waited 2.00 s in allReduce of 8 FLOAT")
                        .contains("for rank 1, which did not arrive");
            });
            // the others give up after the timeout; the hung rank is interrupted after as long again
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SHORT.multipliedBy(2).plusSeconds(3));
        }
    }

    @Test
    void aRanksBudgetIsItsOwnAndItsOutOfMemoryNamesIt() {
        try (Group g = Group.start(2, 1 << 20, SHORT, 1)) {
            assertThatThrownBy(() -> g.run("allocate", r -> {
                long elements = r.index() == 1 ? 1 << 19 : 1 << 10;  // rank 1 asks for 2 MiB of its 1 MiB
                Storage s = Memory.allocate(DataType.FLOAT, new long[] {elements}, Category.TEMPORARY, "big");
                s.free();
                r.collective().barrier();
                return null;
            })).isInstanceOfSatisfying(RankFailedException.class, e -> {
                assertThat(e.rank()).isEqualTo(1);
                assertThat(e.getCause()).isInstanceOf(DeviceOutOfMemoryException.class)
                        .hasMessageContaining("Device of 'rank 1' out of memory. Tried to allocate 2.00 MiB");
            });
            assertThat(g.meter(0).maxByCategory().get(Category.TEMPORARY)).isEqualTo(4096);
            assertThat(g.meter(1).liveBytes()).isZero();
        }
    }

    @Test
    void rankZeroRunsWithTheCallersListeners() {
        try (Group g = Group.start(2, 0, SHORT, 1); Work work = Work.count()) {
            g.run("count", r -> {
                r.collective().allReduce(filled(r.index(), 8));
                return null;
            });
            assertThat(work.sentBytes()).isEqualTo(2 * 1 * 4 * 4);    // rank 0's: 2(N−1) chunks of 4 floats
            assertThat(work.kernels()).isPositive();
        }
    }
}
