package org.memlean.ch03;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.memlean.data.Batch;
import org.memlean.memory.Category;
import org.memlean.lab.Training;
import org.memlean.lab.Training.Update;
import org.memlean.lab.Warnings;
import org.memlean.nn.Gpt;
import org.memlean.optim.AdamW;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Autocast;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.OpScope;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Mixed precision（混合精度训练）, both forms the article describes.
 *
 * <ol type="a">
 *   <li><b>Autocast</b> (the article's code): FLOAT weights; inside {@code Autocast.enable(HALF)}
 *       matmul-type ops store their results — and the inputs they save for backward — in float16,
 *       while softmax, layer norm, reductions and the loss stay float32 (the table is
 *       {@link Autocast#TABLE}). A {@link LossScaler} keeps small gradients from underflowing.</li>
 *   <li><b>fp16 weights with an fp32 master copy</b> (the article's five steps): the model is stored in
 *       float16, so its weights and gradients are half size; {@link MasterWeights} keeps float32
 *       copies, unscales the float16 gradients into float32, updates the masters with AdamW in
 *       float32 and copies them back to float16.</li>
 * </ol>
 * Both compute in float32 on this backend (see {@code Compute}): the memory saved is storage.
 */
public final class MixedPrecision {
    private MixedPrecision() {}

    /**
     * Dynamic loss scaling, PyTorch's GradScaler rule: multiply the loss by the scale before
     * backward; unscale the gradients before the step; if any is inf or NaN, skip the step and
     * halve the scale; after {@code growthInterval} clean steps in a row, double it.
     */
    public static final class LossScaler {
        private double scale;
        private final double growthFactor;
        private final double backoffFactor;
        private final int growthInterval;
        private int cleanSteps;
        private long skippedSteps;
        private int skippedInARow;
        /** Skips in a row after which the scaler says the model is not training (a healthy scaler skips one or two). */
        public static final int SKIPS_TO_WARN = 10;

        /** PyTorch's defaults: 2^16, ×2 every 2000 clean steps, ×0.5 on overflow. */
        public LossScaler() {
            this(65536, 2.0, 0.5, 2000);
        }

        public LossScaler(double initialScale, double growthFactor, double backoffFactor, int growthInterval) {
            if (initialScale <= 0 || growthFactor <= 1 || backoffFactor <= 0 || backoffFactor >= 1 || growthInterval < 1) {
                throw new IllegalArgumentException("LossScaler needs scale > 0, growth > 1, 0 < backoff < 1, "
                        + "interval ≥ 1; got " + initialScale + ", " + growthFactor + ", " + backoffFactor + ", "
                        + growthInterval);
            }
            this.scale = initialScale;
            this.growthFactor = growthFactor;
            this.backoffFactor = backoffFactor;
            this.growthInterval = growthInterval;
        }

        public double scale() {
            return scale;
        }

        public long skippedSteps() {
            return skippedSteps;
        }

        /** loss × scale, the tensor to call backward on. */
        public Tensor scale(Tensor loss) {
            return loss.mul(scale);
        }

        /** After a step (or a skip): back off on overflow, grow after enough clean steps. */
        public void update(boolean overflow) {
            if (overflow) {
                scale *= backoffFactor;
                cleanSteps = 0;
                skippedSteps++;
                if (++skippedInARow == SKIPS_TO_WARN) {
                    Warnings.once(this, "skipping", String.format(Locale.ROOT,
                            "the loss scaler skipped %d steps in a row (its scale is now %.3g): the gradients overflow at "
                            + "every scale it tried, so the model is not training. Look for NaN or inf in the loss or the "
                            + "parameters, or lower the learning rate", SKIPS_TO_WARN, scale));
                }
                return;
            }
            skippedInARow = 0;
            if (++cleanSteps >= growthInterval) {
                scale *= growthFactor;
                cleanSteps = 0;
            }
        }
    }

    /** Whether an array holds an inf or a NaN (its sum is then not finite). */
    static boolean hasNonFinite(INDArray values) {
        try (OpScope op = new OpScope("nonFinite")) {
            INDArray asFloat = values;
            if (values.dataType() != DataType.FLOAT) {
                asFloat = op.temp(DataType.FLOAT, values.shape());
                Kernels.assign(asFloat, values);
            }
            INDArray total = op.temp(DataType.FLOAT);
            Kernels.sum(asFloat, false, new int[0], total);
            return !Double.isFinite(total.getDouble(0));
        }
    }

    /**
     * Form (a), one step: forward and loss under autocast, scaled backward, unscale the (FLOAT)
     * gradients in place, skip the step on overflow.
     *
     * @return the unscaled loss
     */
    public static double autocastStep(Gpt model, Optimizer optimizer, LossScaler scaler, Supplier<Batch> data,
                                      DataType low) {
        return Training.step(model, new ScaledUpdate(model.parameters(), optimizer, scaler), () -> {
            Batch batch = data.get();                      // made inside the step's scope: freed with it
            try (GradMode.Guard cast = Autocast.enable(low)) {
                return model.loss(batch.inputs(), batch.targets());
            }
        });
    }

    /** The step's update under loss scaling: backward from loss × scale, unscale, step unless a gradient overflowed. */
    private record ScaledUpdate(List<Tensor> parameters, Optimizer optimizer, LossScaler scaler) implements Update {
        @Override
        public void backward(Tensor loss) {
            scaler.scale(loss).backward();
        }

        @Override
        public void apply() {
            boolean overflow = false;
            for (Tensor p : parameters) {
                if (p.grad() == null) continue;
                Kernels.scale(p.grad().array(), 1 / scaler.scale(), p.grad().array());
                overflow |= hasNonFinite(p.grad().array());
            }
            if (!overflow) optimizer.step();
            scaler.update(overflow);
        }

        @Override
        public void clearGradients() {
            optimizer.zeroGrad(true);
        }
    }

    /**
     * Form (b): float32 master copies of float16 weights, and AdamW on the masters. Per parameter:
     * 2 bytes of weight, 2 of gradient, 4 of master and 8 of moments — the weights cost 6 bytes where
     * float32 training costs 4 (1.5×).
     */
    public static final class MasterWeights implements Update, AutoCloseable {
        private final List<Tensor> weights;    // the model's float16 parameters
        private final List<Tensor> masters;    // float32 copies, OPTIMIZER_STATE
        private final AdamW adam;
        private final LossScaler scaler;

        public MasterWeights(List<Tensor> weights, double lr, LossScaler scaler) {
            this.weights = List.copyOf(weights);
            this.masters = new ArrayList<>();
            for (Tensor w : weights) {
                Tensor m = Tensor.zeros(DataType.FLOAT, Category.OPTIMIZER_STATE, w.shape()).requiresGrad(true);
                Kernels.assign(m.array(), w.array());
                masters.add(m);
            }
            this.adam = new AdamW(masters, lr, 0.9, 0.999, 1e-8, 0.0);
            this.scaler = scaler;
        }

        /** Step 2 of the article: backward from the scaled loss, into the float16 gradients. */
        @Override
        public void backward(Tensor loss) {
            scaler.scale(loss).backward();
        }

        @Override
        public void apply() {
            step();
        }

        @Override
        public void clearGradients() {
            for (Tensor w : weights) w.zeroGrad(true);
        }

        /**
         * Steps 3–5 of the article: unscale the float16 gradients into float32, update the float32
         * masters, copy them back to float16. Returns false (and changes nothing) on overflow.
         */
        public boolean step() {
            boolean overflow = false;
            List<Tensor> unscaled = new ArrayList<>();
            for (int i = 0; i < weights.size(); i++) {
                Tensor w = weights.get(i);
                if (w.grad() == null) {
                    unscaled.add(null);
                    continue;
                }
                Tensor g = Tensor.zeros(DataType.FLOAT, Category.TEMPORARY, w.shape());
                Kernels.assign(g.array(), w.grad().array());                 // float16 → float32 first,
                Kernels.scale(g.array(), 1 / scaler.scale(), g.array());     // then unscale: no new underflow
                overflow |= hasNonFinite(g.array());
                unscaled.add(g);
            }
            if (!overflow) {
                for (int i = 0; i < masters.size(); i++) masters.get(i).setGrad(unscaled.get(i));
                adam.step();
                for (int i = 0; i < masters.size(); i++) {
                    masters.get(i).setGrad(null);
                    Kernels.assign(weights.get(i).array(), masters.get(i).array());   // round to float16
                    weights.get(i).storage().bumpVersion();
                }
            } else {
                for (Tensor g : unscaled) if (g != null) g.release();
            }
            for (Tensor w : weights) w.zeroGrad(true);
            scaler.update(overflow);
            return !overflow;
        }

        /** The float32 copy of weight {@code i}. */
        public Tensor master(int i) {
            return masters.get(i);
        }

        @Override
        public void close() {
            adam.close();
            for (Tensor m : masters) m.storage().free();
        }
    }

    /** Form (b), one step: float16 forward and backward of the scaled loss, then the master update. */
    public static double masterWeightsStep(Gpt halfModel, MasterWeights masters, Supplier<Batch> data) {
        return Training.step(halfModel, masters, () -> {
            Batch batch = data.get();
            return halfModel.loss(batch.inputs(), batch.targets());
        });
    }
}
