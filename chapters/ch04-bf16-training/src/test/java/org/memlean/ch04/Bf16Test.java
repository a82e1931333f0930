package org.memlean.ch04;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.memlean.ch04.Bf16Chapter.Mode;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Experiment;
import org.memlean.lab.Training;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.DeviceBudget;
import org.memlean.memory.DeviceOutOfMemoryException;
import org.memlean.memory.LeakCheck;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Bf16Test {
    private static final Bf16Chapter.Setup SETUP = new Bf16Chapter.Setup(16, 4, 3);
    private static final GptConfig CONFIG = GptConfig.defaults();
    private static final long P = CONFIG.parameterCount();

    private static FloatBuffer floats(float... values) {
        FloatBuffer b = ByteBuffer.allocateDirect(4 * values.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
        b.put(values).flip();
        return b;
    }

    @Test
    void stochasticRoundingIsExactOnBf16ValuesAndUnbiasedOnOthers() {
        SplittableRandom random = new SplittableRandom(1);
        // values that are bf16 already: 8 significant bits, the low 16 bits of their float32 bits zero
        float[] exact = {1f, -1f, 1.0078125f, 3.5f, -0.015625f, 65536f, 0f};
        FloatBuffer b = floats(exact);
        for (int round = 0; round < 100; round++) {
            Bf16.stochasticRound(b, random);
            for (int i = 0; i < exact.length; i++) assertThat(b.get(i)).isEqualTo(exact[i]);
        }
        // 1 + 0.3 ulp lies 30% of the way from 1 to the next bf16 (1 + 2⁻⁷): rounded up 30% of the time
        double ulp = Math.pow(2, -7);
        for (double value : new double[] {1 + 0.3 * ulp, -(1 + 0.7 * ulp), 0.02 + 0.1 * ulp * 0.015625}) {
            int n = 200_000;
            float[] copies = new float[n];
            Arrays.fill(copies, (float) value);
            FloatBuffer many = floats(copies);
            Bf16.stochasticRound(many, random);
            double sum = 0;
            for (int i = 0; i < n; i++) sum += many.get(i);
            double mean = sum / n;
            // each rounding is one of two neighbours a spacing apart: the mean's standard error is at
            // most spacing / (2√n); 5 standard errors is a bound a correct rounding misses once in 10⁶
            double spacing = Math.ulp((float) value) * 65536.0;
            assertThat(mean).as("mean of %d roundings of %s", n, value).isCloseTo(value,
                    Offset.offset(5 * spacing / (2 * Math.sqrt(n))));
            for (int i = 0; i < 100; i++) {
                double r = many.get(i);
                assertThat(r).isEqualTo(Bf16Chapter.roundTrip(r, DataType.BFLOAT16));   // every result is a bf16
            }
        }
    }

    @Test
    void onFloat32ParametersEveryRoundingIsThePlainAdamWUpdate() {
        for (Bf16.Rounding rounding : Bf16.Rounding.values()) {
            float[][] after = new float[2][];
            for (int k = 0; k < 2; k++) {
                Rng.seed(3);
                ReversalTask task = new ReversalTask(4, 1);
                try (Gpt model = new Gpt(CONFIG); Optimizer opt = k == 0 ? new AdamW(model.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0)
                        : new Bf16.RoundingAdamW(model.parameters(), 1e-3, rounding)) {
                    Training.step(model, opt, task, 8);
                    after[k] = model.namedParameters().get("blocks.0.mlp.fc.weight").toFloatArray();
                }
            }
            // one step: no rounding to compensate in float32, and the same kernels in the same order
            assertThat(after[1]).as("%s on float32, one step", rounding).containsExactly(after[0]);
        }
    }

    @Test
    void eachArmsCategoriesFollowTheFormula() {
        long t = 2L * SETUP.digits();
        Map<Mode, Map<Category, Long>> max = new EnumMap<>(Mode.class);
        for (Mode mode : Mode.values()) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start(mode.name(), false);
                 Experiment.Session s = Bf16Chapter.session(mode, SETUP, Bf16Chapter.LR)) {
                for (int i = 0; i < SETUP.steps(); i++) s.step(i);
                max.put(mode, meter.maxByCategory());
            }
        }
        long act32 = CONFIG.savedActivationBytes(SETUP.batch(), t, SETUP.digits());
        long actBf16 = CONFIG.withDataType(DataType.BFLOAT16).savedActivationBytes(SETUP.batch(), t, SETUP.digits());
        for (Mode mode : Mode.values()) {
            Map<Category, Long> m = max.get(mode);
            boolean pure = Bf16Chapter.storage(mode) == DataType.BFLOAT16;
            assertThat(m.get(Category.PARAMETER)).as("%s weights", mode).isEqualTo(pure ? 2 * P : 4 * P);
            assertThat(m.get(Category.GRADIENT)).as("%s gradients", mode).isEqualTo(pure ? 2 * P : 4 * P);
            long state = switch (mode) {
                case FLOAT32, AUTOCAST_BF16 -> 8 * P;
                case PURE_BF16, PURE_BF16_STOCHASTIC -> 4 * P;
                case PURE_BF16_KAHAN -> 6 * P;        // + a bf16 compensation buffer: 2 bytes a parameter
            };
            assertThat(m.get(Category.OPTIMIZER_STATE)).as("%s optimizer state", mode).isEqualTo(state);
            long activations = switch (mode) {
                case FLOAT32 -> act32;
                case AUTOCAST_BF16 -> CONFIG.autocastSavedActivationBytes(SETUP.batch(), t, SETUP.digits());
                default -> actBf16;
            };
            assertThat(m.get(Category.ACTIVATION)).as("%s activations", mode).isEqualTo(activations);
        }
        assertThat(actBf16).as("half, but the norms' float32 statistics").isGreaterThan(act32 / 2).isLessThan(act32 / 2 + act32 / 50);
    }

    @Test
    void theLostUpdateCountIsTheDirectCount() {
        // on the first step AdamW moves every element whose gradient is non-zero by about lr: an
        // update was computed exactly where the gradient is non-zero; it was lost where bf16 did not move
        Rng.seed(9);
        ReversalTask task = new ReversalTask(4, 2);
        try (Gpt model = new Gpt(CONFIG.withDataType(DataType.BFLOAT16));
             Bf16.RoundingAdamW adam = new Bf16.RoundingAdamW(model.parameters(), 1e-4, Bf16.Rounding.NEAREST)) {
            try (Scope s = Scope.open()) {
                var b = task.next(8);
                model.loss(b.inputs(), b.targets()).backward();
            }
            List<Tensor> params = model.parameters();
            long direct = 0;
            float[][] before = new float[params.size()][];
            float[][] grads = new float[params.size()][];
            for (int i = 0; i < params.size(); i++) {
                before[i] = params.get(i).toFloatArray();
                grads[i] = params.get(i).grad().toFloatArray();
            }
            adam.countLostUpdates(true).step();
            for (int i = 0; i < params.size(); i++) {
                float[] after = params.get(i).toFloatArray();
                for (int k = 0; k < after.length; k++) if (grads[i][k] != 0 && after[k] == before[i][k]) direct++;
            }
            assertThat(adam.lostUpdates()).isEqualTo(direct).isPositive();   // the layer norms' γ = 1: spacing 2⁻⁷ ≫ 1e-4
            assertThat(adam.countedUpdates()).isEqualTo(P);
            adam.zeroGrad(true);
        }
    }

    @Test
    void pureBf16LosesUpdatesAndTrainsWorseAndKahanAndStochasticRoundingRecoverIt() {
        Map<Mode, Bf16Chapter.Curve> curves = Bf16Chapter.curves(new Bf16Chapter.Setup(16, 6, 40), 1e-3, 40);
        double f32 = curves.get(Mode.FLOAT32).losses()[39];
        double nearest = curves.get(Mode.PURE_BF16).losses()[39];
        double kahan = curves.get(Mode.PURE_BF16_KAHAN).losses()[39];
        double stochastic = curves.get(Mode.PURE_BF16_STOCHASTIC).losses()[39];
        assertThat(curves.get(Mode.PURE_BF16).lostFraction()[39]).as("updates lost at the last step").isPositive();
        assertThat(nearest - f32).as("pure bf16 trails float32").isPositive();
        assertThat(Math.abs(kahan - f32)).as("Kahan closes most of the gap").isLessThan((nearest - f32) / 2);
        assertThat(Math.abs(stochastic - f32)).as("so does stochastic rounding").isLessThan((nearest - f32) / 2);
    }

    @Test
    void bf16KeepsFloat32sRangeButNotItsPrecision() {
        Bf16Chapter.Underflow u = Bf16Chapter.underflow(16, 1e-3);
        assertThat(u.lostInFloat16()).as("float16 without a scaler").isPositive();
        assertThat(u.lostInBf16()).as("bf16 without a scaler").isZero();
        assertThat(Bf16Chapter.roundTrip(1e5, DataType.HALF)).isInfinite();
        assertThat(Bf16Chapter.roundTrip(1e5, DataType.BFLOAT16)).isCloseTo(1e5, Percentage.withPercentage(0.4));
        assertThat(Bf16Chapter.roundTrip(1 + Math.pow(2, -9), DataType.BFLOAT16)).isEqualTo(1.0);
        assertThat(Bf16Chapter.roundTrip(1 + Math.pow(2, -9), DataType.HALF)).isEqualTo(1 + Math.pow(2, -9));
    }

    @Test
    void underABudgetFloat32RunsOutOfMemoryAndPureBf16Trains() {
        long[] peaks = new long[2];
        Mode[] modes = {Mode.FLOAT32, Mode.PURE_BF16};
        for (int i = 0; i < 2; i++) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("probe", false);
                 Experiment.Session s = Bf16Chapter.session(modes[i], SETUP, Bf16Chapter.LR)) {
                s.step(0);
                s.step(1);
                peaks[i] = meter.peakBytes();
            }
        }
        long budget = (peaks[0] + peaks[1]) / 2;
        for (int i = 0; i < 2; i++) {
            Device.settle();
            try (MemoryMeter meter = MemoryMeter.start("budget", false); DeviceBudget gpu = DeviceBudget.of(budget);
                 Experiment.Session s = Bf16Chapter.session(modes[i], SETUP, Bf16Chapter.LR)) {
                if (i == 0) {
                    assertThatThrownBy(() -> { s.step(0); s.step(1); }).isInstanceOf(DeviceOutOfMemoryException.class);
                } else {
                    for (int k = 0; k < 3; k++) assertThat(s.step(k)).isFinite();
                }
            }
        }
    }

    @Test
    void pureBf16StepsWithEitherFixLeakNothing() {
        for (Mode mode : List.of(Mode.PURE_BF16_KAHAN, Mode.PURE_BF16_STOCHASTIC, Mode.AUTOCAST_BF16)) {
            try (Experiment.Session s = Bf16Chapter.session(mode, SETUP, Bf16Chapter.LR)) {
                LeakCheck.run(1, 7, s::step).assertNoLeak(mode.toString());
            }
        }
    }
}
