package org.memlean.exercises.ch07;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.data.ReversalTask;
import org.memlean.dist.Collective;
import org.memlean.dist.Group;
import org.memlean.grading.Task;
import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import static org.assertj.core.api.Assertions.assertThat;

/** Graded: your chunks and sums against the thread collective; your release against the rank's meter. */
class ShardingTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Test
    @Tag("task07_1")
    @Task(id = "task07_1", points = 20, title = "the chunk a rank owns after a reduce-scatter")
    void yourRangesAndSumsAreWhatTheCollectiveGivesEachRank() {
        SplittableRandom random = new SplittableRandom(7);
        for (int ranks : new int[] {1, 2, 3, 4}) {
            for (int n : new int[] {1, 7, 10, 12}) {
                double[][] grads = new double[ranks][n];
                for (double[] g : grads) for (int i = 0; i < n; i++) g[i] = random.nextInt(-50, 50);
                long s = Collective.chunk(n, ranks);
                try (Group group = Group.start(ranks, 0, TIMEOUT, 1)) {
                    List<double[]> shards = group.run("reduce-scatter", r -> {
                        var shard = Nd4j.create(DataType.DOUBLE, s).assign(Double.NaN);
                        r.collective().reduceScatter(Nd4j.create(grads[r.index()]), shard);
                        return shard.toDoubleVector();
                    });
                    long covered = 0;
                    for (int r = 0; r < ranks; r++) {
                        long[] range = Sharding.ownedRange(n, ranks, r);
                        assertThat(range).as("n=%d, N=%d, rank %d", n, ranks, r)
                                .containsExactly(Math.min(r * s, n), Math.min((r + 1) * s, n));
                        covered += range[1] - range[0];
                        assertThat(Sharding.reduceScatter(grads, r)).as("n=%d, N=%d, rank %d", n, ranks, r)
                                .containsExactly(shards.get(r));
                    }
                    assertThat(covered).as("the chunks cover the gradient once").isEqualTo(n);
                }
            }
        }
    }

    /**
     * Two ranks train a GPT's step with your release as each parameter's post-accumulate hook: the
     * shards must be the mean of the ranks' whole gradients, and the rank's meter must show gradients
     * of at most its shards plus one whole gradient (4S + 4·the largest parameter bytes).
     */
    @Test
    @Tag("task07_2")
    @Task(id = "task07_2", points = 20, title = "ZeRO-2's gradient release, on the rank's meter")
    void yourReleaseKeepsOnlyTheShardsAndOneWholeGradientAtATime() {
        GptConfig config = GptConfig.defaults();
        int ranks = 2;
        try (Group group = Group.start(ranks, 0, TIMEOUT, 3)) {
            List<Boolean> ok = group.run("release", rank -> {
                Rng.seed(11);                                           // the same weights on both ranks
                try (Gpt model = new Gpt(config)) {
                    ReversalTask task = new ReversalTask(4, 20 + rank.index());
                    var batch = task.nextExamples(4);
                    // the whole gradients, all-reduced: what the shards must hold
                    Map<String, Tensor> params = model.namedParameters();
                    Map<String, double[]> mean = new LinkedHashMap<>();
                    try (Scope s = Scope.open()) {
                        var b = batch.toBatch();
                        model.loss(b.inputs(), b.targets()).backward();
                    }
                    for (var e : params.entrySet()) {
                        rank.collective().allReduce(e.getValue().grad().array());
                        double[] g = e.getValue().grad().array().castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
                        for (int i = 0; i < g.length; i++) g[i] /= ranks;
                        mean.put(e.getKey(), g);
                        e.getValue().zeroGrad(true);
                    }
                    long shardElements = 0;
                    long largest = 0;
                    try (MemoryMeter meter = MemoryMeter.start("your release", false)) {
                        Map<String, Tensor> shards = new LinkedHashMap<>();
                        for (var e : params.entrySet()) {
                            long s = Collective.chunk(e.getValue().length(), ranks);
                            shardElements += s;
                            largest = Math.max(largest, e.getValue().length());
                            Tensor shard = Tensor.of(Memory.zeros(DataType.FLOAT, new long[] {s}, Category.GRADIENT, "shard"));
                            shards.put(e.getKey(), shard);
                            e.getValue().registerPostAccumulateGradHook(p -> Sharding.releaseGradient(p, shard, rank.collective()));
                        }
                        try (Scope s = Scope.open()) {
                            var b = batch.toBatch();
                            model.loss(b.inputs(), b.targets()).backward();
                        }
                        for (var e : params.entrySet()) {
                            assertThat(e.getValue().grad()).as("%s's whole gradient is freed", e.getKey()).isNull();
                            long[] range = Sharding.ownedRange(e.getValue().length(), ranks, rank.index());
                            float[] shard = shards.get(e.getKey()).toFloatArray();
                            double[] expected = mean.get(e.getKey());
                            for (long i = range[0]; i < range[1]; i++) {
                                assertThat((double) shard[(int) (i - range[0])]).as("%s[%d] on rank %d", e.getKey(), i, rank.index())
                                        .isCloseTo(expected[(int) i], Offset.offset(1e-6));
                            }
                        }
                        assertThat(meter.maxByCategory().get(Category.GRADIENT)).as("gradient bytes at their high")
                                .isEqualTo(4 * shardElements + 4 * largest);
                        for (Tensor t : shards.values()) t.storage().free();
                    }
                }
                return true;
            });
            assertThat(ok).containsOnly(true);
        }
    }
}
