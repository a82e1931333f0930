package org.memlean.exercises.ch03;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.ch03.MixedPrecision;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.grading.Answers;
import org.memlean.grading.Configs;
import org.memlean.grading.Seeds;
import org.memlean.grading.Task;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Graded: the master-weights step against the chapter's, and on the meter; the scaler's rule on random steps. */
class ScalingTest {
    /** The float16 gradients of the loss × scale, for a batch drawn from {@code seed}. */
    private static void backward(Gpt model, int digits, int batch, long seed, double scale) {
        try (Scope s = Scope.open()) {
            Batch b = new ReversalTask(digits, seed).next(batch);
            model.loss(b.inputs(), b.targets()).mul(scale).backward();
        }
    }

    @Test
    @Tag("task03_1")
    @Task(id = "task03_1", points = 20, title = "the master-weights step (cast, unscale, check, update, round)")
    void yourMasterWeightsStepIsTheReferencesAndKeepsSixteenBytesAParameter() {
        SplittableRandom r = Seeds.forTest(getClass(), "masters");
        int digits = 3 + r.nextInt(4);
        int batch = 4 + r.nextInt(8);
        GptConfig config = Configs.gpt(r, digits).withDataType(DataType.HALF);
        double scale = Math.scalb(1.0, 8 + r.nextInt(8));
        String what = config + ", B=" + batch + ", scale " + scale + "; " + Seeds.reproduce("03");
        Rng.seed(11);
        try (Gpt reference = new Gpt(config)) {
            Rng.seed(11);
            try (Gpt mine = new Gpt(config)) {
                MixedPrecision.LossScaler fixed = new MixedPrecision.LossScaler(scale, 2, 0.5, Integer.MAX_VALUE);
                try (MixedPrecision.MasterWeights theirs = new MixedPrecision.MasterWeights(reference.parameters(), 1e-2, fixed);
                     MasterWeights yours = new MasterWeights(mine.parameters(), 1e-2)) {
                    for (int step = 0; step < 4; step++) {
                        double now = fixed.scale();                   // halved by the reference after an overflow
                        backward(reference, digits, batch, step, now);
                        backward(mine, digits, batch, step, now);
                        boolean overflow = step == 2;
                        if (overflow) {                               // an inf in one gradient: the step is skipped
                            int k = r.nextInt(mine.parameters().size());
                            mine.parameters().get(k).grad().array().putScalar(0, Float.POSITIVE_INFINITY);
                            reference.parameters().get(k).grad().array().putScalar(0, Float.POSITIVE_INFINITY);
                        }
                        boolean stepped = theirs.step();
                        assertThat(yours.step(now)).as("step %d %s; %s", step, overflow ? "overflows" : "is clean", what)
                                .isEqualTo(stepped);
                        for (Tensor w : mine.parameters()) assertThat(w.grad()).as("gradients after the step").isNull();
                        List<Tensor> a = reference.parameters();
                        List<Tensor> b = mine.parameters();
                        for (int i = 0; i < a.size(); i++) {
                            float[] x = a.get(i).toFloatArray();
                            float[] y = b.get(i).toFloatArray();
                            for (int j = 0; j < x.length; j++) {
                                float ulp = Math.ulp(x[j]) * 8192;            // one float16 spacing at x
                                assertThat(Math.abs(x[j] - y[j])).as("weight %d[%d] after step %d; %s", i, j, step, what)
                                        .isLessThanOrEqualTo(Math.max(ulp, 6e-8f));
                            }
                        }
                    }
                }
            }
        }
        // the memory of yours alone: a model, its masters, one step
        Rng.seed(11);
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("masters"); Gpt mine = new Gpt(config);
             MasterWeights yours = new MasterWeights(mine.parameters(), 1e-2)) {
            long p = mine.parameterCount();
            backward(mine, digits, batch, 0, scale);
            yours.step(scale);
            assertThat(meter.liveBytes(Category.OPTIMIZER_STATE)).as("master + two moments, 12 bytes a parameter; %s", what)
                    .isEqualTo(12 * p);
            assertThat(meter.maxByCategory().get(Category.GRADIENT)).as("float16 gradients only; %s", what).isEqualTo(2 * p);
            assertThat(meter.liveBytes(Category.PARAMETER)).isEqualTo(2 * p);
        }
    }

    @Test
    @Tag("task03_2")
    @Task(id = "task03_2", points = 10, title = "the loss scaler's update rule")
    void theScalerBacksOffOnOverflowAndGrowsAfterItsInterval() {
        SplittableRandom r = Seeds.forTest(getClass(), "scaler");
        for (int run = 0; run < 5; run++) {
            double growth = 1.5 + r.nextInt(3) * 0.5;
            double backoff = 0.25 + r.nextInt(3) * 0.125;
            int interval = 1 + r.nextInt(6);
            double scale = Math.scalb(1.0, 10 + r.nextInt(10));
            int clean = 0;
            Scaling.State s = new Scaling.State(scale, 0);
            for (int step = 0; step < 40; step++) {
                boolean overflow = r.nextInt(5) == 0;
                if (overflow) {
                    scale *= backoff;
                    clean = 0;
                } else if (++clean >= interval) {
                    scale *= growth;
                    clean = 0;
                }
                s = Scaling.update(s, overflow, growth, backoff, interval);
                assertThat(s).as("after step %d (%s), growth %s, backoff %s, interval %d; %s", step,
                        overflow ? "overflow" : "clean", growth, backoff, interval, Seeds.reproduce("03"))
                        .isEqualTo(new Scaling.State(scale, clean));
            }
        }
    }

    @Test
    @Tag("task03_3")
    @Task(id = "task03_3", points = 5, title = "question: float16 adds 0.01 a thousand times",
            explanation = "Exact enough up to 8; between 8 and 16 the spacing is 2⁻⁷ ≈ 0.0078 and each 0.01 rounds to 0.0078; "
                    + "above 16 the spacing is 2⁻⁶ ≈ 0.0156 and 0.01 rounds up to it — the sum runs fast, not slow. A "
                    + "float16 accumulator is wrong either way: why ND4J's half GEMM (and tensor cores') accumulate in float32.")
    void float16Sum() {
        try (Scope s = Scope.open(); GradMode.Guard off = GradMode.noGrad()) {
            Tensor step = Tensor.of(new float[] {0.01f}, DataType.HALF, Category.TEMPORARY, 1);
            Tensor sum = Tensor.zeros(DataType.HALF, Category.TEMPORARY, 1);
            for (int i = 0; i < 1000; i++) sum = sum.then(x -> x.add(step));   // each sum stored as float16
            Answers.near(Questions.float16SumOfOneHundredths(), sum.item(), 0.001);
        }
    }

    @Test
    @Tag("task03_4")
    @Task(id = "task03_4", points = 5, title = "question: which tensors autocast stores in float16",
            explanation = "The products follow the table (float16); softmax, layer norm and the loss run in float32; GELU "
                    + "is not in the table, so it runs in its input's type — the float16 output of the first MLP product.")
    void autocastTensors() {
        Answers.sameNames(Questions.float16Tensors(), Set.of("qkv output", "attention scores", "GELU output"));
    }
}
