package org.memlean.ch03;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Category;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** The three ways float16 training goes wrong, each shown with numbers. */
public final class FailureModes {
    private FailureModes() {}

    /**
     * Underflow: gradient entries that are non-zero in float32 but exactly zero in a float16 model,
     * without loss scaling and with it.
     *
     * @param entries gradient entries in all
     * @param zeroInFloat32 entries that are zero in float32 too (no information lost there)
     * @param lostWithoutScaling non-zero in float32, zero in float16 without scaling
     * @param lostWithScaling the same with the loss scaled by {@code scale}
     * @param float32Magnitudes the non-zero float32 gradient entries' magnitudes, sorted
     */
    public record Underflow(long entries, long zeroInFloat32, long lostWithoutScaling, long lostWithScaling,
                            double scale, float[] float32Magnitudes) {
        /** Non-zero float32 gradient entries below {@code threshold} in magnitude. */
        public long belowInFloat32(double threshold) {
            int i = Arrays.binarySearch(float32Magnitudes, (float) threshold);
            return i >= 0 ? i : -i - 1;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "Underflow[%d gradient entries, %d zero in float32 too; "
                    + "lost in float16 without scaling: %d, with the loss scaled by %.0f: %d]", entries, zeroInFloat32,
                    lostWithoutScaling, scale, lostWithScaling);
        }
    }

    public static Underflow underflow(int batch, double lossWeight, double scale) {
        float[] reference = gradients(DataType.FLOAT, batch, lossWeight);
        float[] plain = gradients(DataType.HALF, batch, lossWeight);
        float[] scaled = gradients(DataType.HALF, batch, lossWeight * scale);
        long zeroInFloat32 = 0;
        long lost = 0;
        long lostScaled = 0;
        float[] magnitudes = new float[reference.length];
        int nonZero = 0;
        for (int i = 0; i < reference.length; i++) {
            if (reference[i] == 0) {
                zeroInFloat32++;
                continue;
            }
            magnitudes[nonZero++] = Math.abs(reference[i]);
            if (plain[i] == 0) lost++;
            if (scaled[i] == 0) lostScaled++;
        }
        float[] sorted = Arrays.copyOf(magnitudes, nonZero);
        Arrays.sort(sorted);
        return new Underflow(reference.length, zeroInFloat32, lost, lostScaled, scale, sorted);
    }

    /** All gradient entries of the default GPT stored as {@code type}, for the loss × {@code weight}. */
    static float[] gradients(DataType type, int batch, double weight) {
        Rng.seed(7);
        try (Gpt model = new Gpt(GptConfig.defaults().withDataType(type)); Scope s = Scope.open()) {
            Batch b = new ReversalTask(8, 3).next(batch);
            model.loss(b.inputs(), b.targets()).mul(weight).backward();
            List<Float> all = new ArrayList<>();
            for (Tensor p : model.parameters()) for (float v : p.grad().toFloatArray()) all.add(v);
            float[] out = new float[all.size()];
            for (int i = 0; i < out.length; i++) out[i] = all.get(i);
            return out;
        }
    }

    /**
     * Overflow: a scale too large for float16 makes gradients inf; the scaler skips those steps
     * (parameters untouched) and halves the scale until a step goes through.
     *
     * @param scales the scale tried at each step
     * @param skipped whether each step was skipped
     * @param weightsUnchangedWhileSkipping the parameters after the skipped steps equal the initial ones
     */
    public record Overflow(List<Double> scales, List<Boolean> skipped, boolean weightsUnchangedWhileSkipping) {}

    public static Overflow overflow(double initialScale, int steps) {
        Rng.seed(7);
        MixedPrecision.LossScaler scaler = new MixedPrecision.LossScaler(initialScale, 2.0, 0.5, 2000);
        List<Double> scales = new ArrayList<>();
        List<Boolean> skipped = new ArrayList<>();
        boolean unchanged = true;
        try (Gpt model = new Gpt(GptConfig.defaults().withDataType(DataType.HALF))) {
            Tensor watched = model.namedParameters().get("blocks.0.attn.qkv.weight");
            float[] initial = watched.toFloatArray();
            MixedPrecision.MasterWeights masters = new MixedPrecision.MasterWeights(model.parameters(), 1e-3, scaler);
            ReversalTask task = new ReversalTask(4, 3);
            boolean stepped = false;
            for (int i = 0; i < steps; i++) {
                scales.add(scaler.scale());
                long before = scaler.skippedSteps();
                MixedPrecision.masterWeightsStep(model, masters, () -> task.next(8));
                boolean skip = scaler.skippedSteps() > before;
                skipped.add(skip);
                if (skip && !stepped) unchanged &= Arrays.equals(initial, watched.toFloatArray());
                stepped |= !skip;
            }
            masters.close();
        }
        return new Overflow(scales, skipped, unchanged);
    }

    /**
     * A lost update: a weight of 1.0 receiving {@code steps} updates of {@code -update} each. Stored
     * and updated in float16, each update is at most half of float16's spacing just below 1.0 (2⁻¹¹,
     * so the threshold is 2⁻¹² ≈ 0.000244) and rounds away; accumulated in a float32 master, they add up.
     */
    public record LostUpdate(double update, int steps, double float32, double float16Direct,
                             double float16FromMaster) {}

    public static LostUpdate lostUpdate(double update, int steps) {
        try (Scope s = Scope.open()) {
            Tensor w16 = Tensor.of(new float[] {1f}, DataType.HALF, Category.TEMPORARY, 1);
            Tensor master = Tensor.of(new float[] {1f}, DataType.FLOAT, Category.TEMPORARY, 1);
            Tensor fromMaster = Tensor.of(new float[] {1f}, DataType.HALF, Category.TEMPORARY, 1);
            double exact = 1;
            for (int i = 0; i < steps; i++) {
                Kernels.addScalar(w16.array(), -update, w16.array());        // computed, then stored as float16
                Kernels.addScalar(master.array(), -update, master.array());  // float32 accumulates it
                Kernels.assign(fromMaster.array(), master.array());          // the copy back to float16
                exact -= update;
            }
            return new LostUpdate(update, steps, exact, w16.item(), fromMaster.item());
        }
    }
}
