package org.memlean.exercises.ch07;

import java.time.Duration;
import java.util.ArrayList;
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
import org.memlean.grading.Answers;
import org.memlean.grading.Configs;
import org.memlean.grading.Seeds;
import org.memlean.grading.Task;
import org.memlean.optim.AdamSettings;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Kernels;
import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;

/** Graded: your chunks and sums against the thread collective; your release against the rank's meter. */
class ShardingTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Test
    @Tag("task07_1")
    @Task(id = "task07_1", points = 20, title = "ZeRO-1: the sharded optimizer, bit-identical to DDP")
    void yourShardedOptimizerGivesDdpsWeightsWithAnNthOfTheState() {
        SplittableRandom r = Seeds.forTest(getClass(), "zero1");
        int ranks = 2 + r.nextInt(2);
        int digits = 3 + r.nextInt(4);
        GptConfig config = Configs.gpt(r, digits);
        AdamSettings adam = new AdamSettings(3e-3, 0.9, 0.99, 1e-8, 0.01);
        String what = ranks + " ranks, " + config + "; " + Seeds.reproduce("07");
        try (Group group = Group.start(ranks, 0, TIMEOUT, 3)) {
            List<Boolean> ok = group.run("zero-1", rank -> {
                ReversalTask task = new ReversalTask(digits, 30 + rank.index());
                var batches = List.of(task.nextExamples(3), task.nextExamples(3));
                List<Map<String, float[]>> ddp = new ArrayList<>();
                Rng.seed(13);
                try (Gpt model = new Gpt(config); AdamW plain = new AdamW(model.parameters(), adam)) {
                    for (var examples : batches) {
                        try (Scope s = Scope.open()) {
                            var b = examples.toBatch();
                            model.loss(b.inputs(), b.targets()).backward();
                        }
                        for (Tensor p : model.parameters()) {
                            rank.collective().allReduce(p.grad().array());
                            Kernels.scale(p.grad().array(), 1.0 / ranks, p.grad().array());
                        }
                        plain.step();
                        plain.zeroGrad(true);
                        Map<String, float[]> values = new LinkedHashMap<>();
                        model.namedParameters().forEach((k, v) -> values.put(k, v.toFloatArray()));
                        ddp.add(values);
                    }
                }
                Rng.seed(13);
                try (Gpt model = new Gpt(config); MemoryMeter meter = MemoryMeter.start("zero-1", false);
                     ShardedAdamW sharded = new ShardedAdamW(model.parameters(), adam, rank.collective())) {
                    long expectedState = 0;
                    for (Tensor p : model.parameters()) expectedState += 8 * Collective.chunk(p.length(), ranks);
                    for (int step = 0; step < batches.size(); step++) {
                        try (Scope s = Scope.open()) {
                            var b = batches.get(step).toBatch();
                            model.loss(b.inputs(), b.targets()).backward();
                        }
                        sharded.step();
                        for (var e : model.namedParameters().entrySet()) {
                            assertThat(e.getValue().grad()).as("%s's gradient after the step, %s", e.getKey(), what).isNull();
                            assertThat(e.getValue().toFloatArray()).as("%s after step %d on rank %d, %s", e.getKey(), step + 1,
                                    rank.index(), what).containsExactly(ddp.get(step).get(e.getKey()));
                        }
                    }
                    assertThat(meter.liveBytes(Category.OPTIMIZER_STATE)).as("rank %d's optimizer state, %s", rank.index(), what)
                            .isEqualTo(expectedState);
                }
                return true;
            });
            assertThat(ok).containsOnly(true);
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
                            long n = e.getValue().length();
                            long chunk = Collective.chunk(n, ranks);
                            long[] range = {Math.min(rank.index() * chunk, n), Math.min((rank.index() + 1) * chunk, n)};
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

    @Test
    @Tag("task07_3")
    @Task(id = "task07_3", points = 5, title = "question: GPUs for a 13B full fine-tune under ZeRO-3",
            explanation = "16 bytes a parameter (bf16 weights and gradients, float32 master and moments) × 13.0·10⁹ = 208 GB; "
                    + "ZeRO-3 divides all of it by N, so N = 3 gives 69 GB a GPU — before activations, the CUDA context "
                    + "and the gathered layer in flight, which in practice ask for more (chapter 12 plans it).")
    void gpus() {
        Answers.exactly(Questions.gpusForThirteenBillion(), 3);
    }

    @Test
    @Tag("task07_4")
    @Task(id = "task07_4", points = 5, title = "question: ZeRO-3's traffic over DDP's",
            explanation = "DDP all-reduces the gradients: 2Ψ(N−1)/N bytes a rank. ZeRO-3 all-gathers the parameters twice "
                    + "(forward and backward) and reduce-scatters the gradients once: 3Ψ(N−1)/N — 1.5×.")
    void traffic() {
        Answers.near(Questions.zero3OverDdpTraffic(), 1.5, 0.01);
    }
}
