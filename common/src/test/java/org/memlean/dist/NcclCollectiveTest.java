package org.memlean.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.memory.Category;
import org.memlean.memory.Memory;
import org.memlean.memory.Storage;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * NCCL against the same sums as the thread collective ({@code CollectiveTest}), on two GPUs. Runs only
 * under {@code -Pcuda} on a machine with two or more GPUs; never run where this course was written.
 */
@Tag("gpu")
class NcclCollectiveTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static INDArray filled(int rank, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 100 * (rank + 1) + i;
        Storage s = Memory.copyOf(v, new long[] {n}, DataType.FLOAT, Category.TEMPORARY, "test");
        return s.array();
    }

    @Test
    void ncclSumsGathersAndBroadcastsLikeTheThreadCollective() {
        assumeTrue(!Nd4j.getEnvironment().isCPU() && Nd4j.getAffinityManager().getNumberOfDevices() >= 2,
                "needs the cuda profile and two GPUs");
        assertThat(Collectives.engine(2)).isEqualTo("NCCL");
        int n = 9;                                              // chunks of 5 and 4: the staging path
        try (Group g = Group.start(NcclCollective.group(2, TIMEOUT), 0, TIMEOUT, 1)) {
            List<float[]> reduced = g.run("all-reduce", r -> {
                INDArray a = filled(r.index(), n);
                r.collective().allReduce(a);
                return a.toFloatVector();
            });
            List<float[]> scattered = g.run("reduce-scatter", r -> {
                INDArray shard = Nd4j.create(DataType.FLOAT, 5);
                r.collective().reduceScatter(filled(r.index(), n), shard);
                return shard.toFloatVector();
            });
            List<float[]> gathered = g.run("all-gather", r -> {
                INDArray full = Nd4j.create(DataType.FLOAT, n);
                r.collective().allGather(Nd4j.valueArrayOf(new long[] {5}, (float) r.index()), full);
                return full.toFloatVector();
            });
            List<float[]> broadcast = g.run("broadcast", r -> {
                INDArray a = filled(r.index(), n);
                r.collective().broadcast(a, 1);
                r.collective().barrier();
                return a.toFloatVector();
            });
            for (int r = 0; r < 2; r++) {
                for (int i = 0; i < n; i++) {
                    assertThat(reduced.get(r)[i]).isEqualTo(300f + 2 * i);
                    assertThat(gathered.get(r)[i]).isEqualTo(i < 5 ? 0f : 1f);
                    assertThat(broadcast.get(r)[i]).isEqualTo(200f + i);
                }
            }
            for (int j = 0; j < 5; j++) {
                assertThat(scattered.get(0)[j]).isEqualTo(300f + 2 * j);
                assertThat(scattered.get(1)[j]).isEqualTo(j < 4 ? 300f + 2 * (5 + j) : 0f);
            }
            // the same ring counts as the thread collective
            // (rank 0 is last on the ring from root 1: its broadcast sends nothing)
            assertThat(g.collective(0).traffic().sentBytes()).isEqualTo(2 * 5 * 4 + 5 * 4 + 5 * 4);
        }
    }
}
