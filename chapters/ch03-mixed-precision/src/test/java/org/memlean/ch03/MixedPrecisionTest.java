package org.memlean.ch03;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memlean.ch03.MixedPrecisionChapter.Mode;
import org.memlean.ch03.MixedPrecisionChapter.Run;
import org.memlean.ch03.MixedPrecisionChapter.Setup;
import org.memlean.data.ReversalTask;
import org.memlean.lab.Warnings;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.LeakCheck;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Autocast;
import org.memlean.tensor.Rng;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class MixedPrecisionTest {
    private static final Setup SETUP = new Setup(16, 4, 8);
    private static final long P = GptConfig.defaults().parameterCount();

    @Test
    void lossCurvesStayWithinToleranceOfFloat32() {
        double[] fp32 = MixedPrecisionChapter.train(Mode.FLOAT32, SETUP).losses();
        for (Mode mode : new Mode[] {Mode.AUTOCAST, Mode.MASTER_WEIGHTS}) {
            double[] mixed = MixedPrecisionChapter.train(mode, SETUP).losses();
            // float16 storage rounds every stored value to 11 significant bits: ~1e-3 relative per op
            for (int i = 0; i < fp32.length; i++) {
                assertThat(mixed[i]).as("%s, step %d", mode, i).isCloseTo(fp32[i], offset(0.01));
            }
        }
    }

    @Test
    void eachCategoryFollowsTheFormula() {
        Map<Category, Long> fp32 = MixedPrecisionChapter.measured(Mode.FLOAT32, SETUP).maxByCategory();
        Map<Category, Long> amp = MixedPrecisionChapter.measured(Mode.AUTOCAST, SETUP).maxByCategory();
        Map<Category, Long> half = MixedPrecisionChapter.measured(Mode.MASTER_WEIGHTS, SETUP).maxByCategory();
        long t = 2L * SETUP.digits();
        // float32: 4 + 4 + 8 bytes per parameter
        assertThat(fp32.get(Category.PARAMETER)).isEqualTo(4 * P);
        assertThat(fp32.get(Category.GRADIENT)).isEqualTo(4 * P);
        assertThat(fp32.get(Category.OPTIMIZER_STATE)).isEqualTo(8 * P);
        // (b): float16 weights and gradients (2 + 2), float32 master (4) and moments (8)
        assertThat(half.get(Category.PARAMETER)).isEqualTo(2 * P);
        assertThat(half.get(Category.GRADIENT)).isEqualTo(2 * P);
        assertThat(half.get(Category.OPTIMIZER_STATE)).isEqualTo(12 * P);
        assertThat(half.get(Category.PARAMETER) + 4 * P).as("weights cost 1.5×").isEqualTo(6 * P);
        // activations: float16 storage halves them (but the norms' float32 statistics); autocast saves less
        long act32 = Formula.float32(GptConfig.defaults(), SETUP.batch(), t, SETUP.digits());
        assertThat(fp32.get(Category.ACTIVATION)).isEqualTo(act32);
        assertThat(half.get(Category.ACTIVATION))
                .isEqualTo(Formula.float16Storage(GptConfig.defaults(), SETUP.batch(), t, SETUP.digits()))
                .isLessThan(act32 / 2 + act32 / 100);
        assertThat(amp.get(Category.ACTIVATION))
                .isEqualTo(Formula.autocast(GptConfig.defaults(), SETUP.batch(), t, SETUP.digits()))
                .isLessThan(act32).isGreaterThan(act32 / 2);
        // autocast keeps float32 weights: parameters, gradients and state as in float32
        assertThat(amp.get(Category.PARAMETER)).isEqualTo(4 * P);
        assertThat(amp.get(Category.OPTIMIZER_STATE)).isEqualTo(8 * P);
    }

    @Test
    void withoutScalingSmallGradientsUnderflowInFloat16AndScalingRecoversThem() {
        FailureModes.Underflow u = FailureModes.underflow(32, 1e-3, 65536);
        // float16's smallest subnormal is 2⁻²⁴; half of it rounds to zero. Every gradient whose float32
        // value is below 2⁻²⁶ (a factor 2 of margin for the float16 model's own rounding, which is 2⁻¹¹
        // relative per stored value) is certainly lost without scaling …
        assertThat(u.lostWithoutScaling()).isGreaterThanOrEqualTo(u.belowInFloat32(Math.pow(2, -26)))
                .isPositive();
        // … and scaling by 2¹⁶ lifts everything above 2⁻⁴⁰ out of that range: what is still lost is at
        // most what lies below 2⁻³⁹ in float32 (again a factor 2 of margin)
        assertThat(u.lostWithScaling()).isLessThanOrEqualTo(u.belowInFloat32(Math.pow(2, -39)))
                .isLessThan(u.lostWithoutScaling());
    }

    @Test
    void anOverflowIsCaughtTheStepSkippedAndTheScaleBacksOff() {
        FailureModes.Overflow o = FailureModes.overflow(Math.pow(2, 24), 12);
        assertThat(o.skipped().get(0)).isTrue();
        assertThat(o.weightsUnchangedWhileSkipping()).isTrue();
        for (int i = 1; i < o.scales().size(); i++) {
            double expected = o.skipped().get(i - 1) ? o.scales().get(i - 1) / 2 : o.scales().get(i - 1);
            assertThat(o.scales().get(i)).isEqualTo(expected);
        }
        assertThat(o.skipped()).contains(false);  // it recovers
    }

    @Test
    void anUpdateBelowFloat16sSpacingIsLostWithoutTheMasterCopy() {
        FailureModes.LostUpdate l = FailureModes.lostUpdate(1e-4, 100);
        assertThat(l.float16Direct()).isEqualTo(1.0);
        assertThat(l.float16FromMaster()).isCloseTo(0.99, offset(1e-3));
    }

    @Test
    void theScalerGrowsAfterItsIntervalAndRefusesBadSettings() {
        MixedPrecision.LossScaler s = new MixedPrecision.LossScaler(8, 2, 0.5, 3);
        s.update(false);
        s.update(false);
        assertThat(s.scale()).isEqualTo(8);
        s.update(false);
        assertThat(s.scale()).isEqualTo(16);
        s.update(true);
        assertThat(s.scale()).isEqualTo(8);
        assertThat(s.skippedSteps()).isEqualTo(1);
        assertThatThrownBy(() -> new MixedPrecision.LossScaler(0, 2, 0.5, 1)).hasMessageContaining("scale > 0");
        assertThatThrownBy(() -> Autocast.enable(DataType.FLOAT)).hasMessageContaining("HALF or BFLOAT16");
    }

    @Test
    void autocastStepsLeakNothing() {
        Rng.seed(1);
        try (Gpt model = new Gpt(GptConfig.defaults()); AdamW adam = new AdamW(model.parameters(), 1e-3)) {
            MixedPrecision.LossScaler scaler = new MixedPrecision.LossScaler();
            ReversalTask task = new ReversalTask(4, 1);
            LeakCheck.run(1, 10, i -> MixedPrecision.autocastStep(model, adam, scaler, () -> task.next(8), DataType.HALF))
                    .assertNoLeak("float16 autocast with a loss scaler");
        }
    }

    /** A scaler that skips step after step says so, once. */
    @Test
    void aScalerThatSkipsTenStepsInARowSaysSoOnce() {
        Warnings.clear();
        MixedPrecision.LossScaler scaler = new MixedPrecision.LossScaler();
        for (int i = 0; i < 9; i++) scaler.update(true);
        scaler.update(false);                                   // one clean step resets the count
        for (int i = 0; i < 25; i++) scaler.update(true);
        assertThat(Warnings.recent()).hasSize(1);
        assertThat(Warnings.recent().get(0)).contains("skipped 10 steps in a row");
    }
}
