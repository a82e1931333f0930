package org.memlean.ch04;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;
import org.memlean.optim.AdamSettings;
import org.memlean.optim.AdamW;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * bf16 training（低精度训练）: parameters, gradients, AdamW's moments and saved activations all stored in
 * bfloat16 — half of float32 in every category. bfloat16 keeps float32's 8 exponent bits (its range:
 * no loss scaler is needed) but only 8 significant bits of 24 (its precision: an update smaller than
 * half the spacing of the weight it is added to rounds away — 1 + 2⁻⁹ is 1).
 *
 * <p>Two fixes for those lost updates, from Zamirai et al. 2020, "Revisiting BFloat16 Training":
 * <ul>
 *   <li><b>Kahan-compensated summation</b>: a bf16 buffer per parameter carries what the last rounding
 *       dropped and adds it to the next update — 2 bytes a parameter more;</li>
 *   <li><b>stochastic rounding</b>: round the float32 result up or down at random, with probability in
 *       proportion to the distance, so the rounding is right on average — no extra memory.</li>
 * </ul>
 * As everywhere in the course, the update is computed in float32 ({@code Compute}); only what is
 * stored is bf16.
 *
 * <pre>{@code
 * Gpt model = new Gpt(GptConfig.defaults().withDataType(DataType.BFLOAT16));
 * Bf16.RoundingAdamW adam = new Bf16.RoundingAdamW(model.parameters(), 1e-3, Bf16.Rounding.KAHAN);
 * }</pre>
 */
public final class Bf16 {
    private Bf16() {}

    /** How the float32 result of an update is stored into a bf16 parameter. */
    public enum Rounding {
        /** Round to nearest even: what a plain cast does. Small updates are lost. */
        NEAREST,
        /** Keep a bf16 compensation buffer of the rounding error and add it back next step. */
        KAHAN,
        /** Round up or down at random, with probability in proportion to the distance. */
        STOCHASTIC
    }

    /**
     * Rounds the float32 values in {@code values} to bf16 stochastically, in place: on the float32
     * bits, add 16 uniform random low bits, then clear the low 16 bits. A value that already is a
     * bf16 has zero low bits, so no carry can reach bit 16: it stays exactly what it was. Otherwise it
     * becomes the bf16 above it in magnitude with probability (its distance from the one below) /
     * (their spacing): unbiased.
     */
    public static void stochasticRound(FloatBuffer values, SplittableRandom random) {
        for (int i = 0; i < values.limit(); i++) {
            int bits = Float.floatToRawIntBits(values.get(i));
            bits = (bits + random.nextInt(1 << 16)) & 0xFFFF0000;
            values.put(i, Float.intBitsToFloat(bits));
        }
    }

    /**
     * AdamW (the course's, same math) whose moments are stored in the parameters' dtype and whose
     * result is rounded into the parameters as asked. With {@code countLostUpdates} on, it counts the
     * elements whose float32 result differed from the stored value but whose stored value did not
     * change: updates the rounding lost entirely (a diagnostic: 8 kernels more per parameter).
     */
    public static final class RoundingAdamW extends Optimizer {
        private final AdamSettings settings;
        private final Rounding rounding;
        private boolean countLostUpdates;
        private long lostUpdates;
        private long countedUpdates;

        public RoundingAdamW(List<Tensor> parameters, AdamSettings settings, Rounding rounding) {
            super(parameters);
            this.settings = settings;
            this.rounding = rounding;
        }

        /** Betas (0.9, 0.999), eps 1e-8, no weight decay. */
        public RoundingAdamW(List<Tensor> parameters, double lr, Rounding rounding) {
            this(parameters, AdamSettings.defaults(lr).withoutWeightDecay(), rounding);
        }

        /** Starts (or stops) counting lost updates; the counts restart. */
        public RoundingAdamW countLostUpdates(boolean on) {
            countLostUpdates = on;
            lostUpdates = 0;
            countedUpdates = 0;
            return this;
        }

        /** Elements whose update the rounding lost entirely, since counting started. */
        public long lostUpdates() {
            return lostUpdates;
        }

        /** Elements updated (in low-precision parameters) since counting started. */
        public long countedUpdates() {
            return countedUpdates;
        }

        @Override
        protected void initState(Tensor p) {
            addState(p, "exp_avg", p.dtype(), p.shape());
            addState(p, "exp_avg_sq", p.dtype(), p.shape());
            if (rounding == Rounding.KAHAN) addState(p, "compensation", p.dtype(), p.shape());
        }

        /** delta, old p, g, m, v, the float32 result, the stored result (or compensation), a count's scratch. */
        @Override
        protected List<String> scratch(Tensor p) {
            return List.of("delta", "old", "g", "m", "v", "next", "stored", "attempted");
        }

        @Override
        protected void update(Tensor p, Tensor g, Workspace w) {
            Tensor mState = state(p, "exp_avg");
            Tensor vState = state(p, "exp_avg_sq");
            INDArray delta = w.get("delta");
            INDArray old = w.get("old");
            Kernels.assign(old, p.array());                             // p before the step, in float32
            INDArray gc = w.compute("g", g);
            INDArray m = w.compute("m", mState);
            INDArray v = w.compute("v", vState);
            INDArray next = w.get("next");
            // the moments and delta = lr · m̂ / (√v̂ + ε) in float32, in the fused kernel plain AdamW uses
            // (m and v are rounded into their dtype when written back, below)
            AdamW.moments(gc, m, v, delta, settings, steps);
            // delta += lr · wd · p   (AdamW's decoupled decay, folded in)
            if (settings.weightDecay() > 0) {
                Kernels.scale(old, settings.lr() * settings.weightDecay(), next);
                Kernels.add(delta, next, delta);
            }
            w.store(mState, m);
            w.store(vState, v);
            INDArray stored = w.get("stored");
            boolean counting = countLostUpdates && p.dtype() != w.computeType();
            switch (rounding) {
                case NEAREST -> {
                    Kernels.sub(old, delta, next);                      // the float32 result
                    if (counting) markAttempted(old, next, w);
                    w.store(p, next);                                 // rounded to nearest even
                }
                case STOCHASTIC -> {
                    Kernels.sub(old, delta, next);
                    if (counting) markAttempted(old, next, w);      // before the rounding replaces next
                    if (p.dtype() != w.computeType()) {             // a float32 parameter needs no rounding
                        stochasticRound(w.hostFloats("next"), new SplittableRandom(Rng.nextLong()));
                        w.hostWritten("next");
                    }
                    w.store(p, next);                                 // exact: next holds bf16 values now
                }
                case KAHAN -> {
                    // y = −delta − c;  p = round(old + y);  c = (p − old) − y
                    Tensor cState = state(p, "compensation");
                    Kernels.add(delta, w.compute("stored", cState), delta);
                    Kernels.scale(delta, -1, delta);                    // y
                    Kernels.add(old, delta, next);                      // the float32 result
                    if (counting) markAttempted(old, next, w);
                    w.store(p, next);
                }
            }
            Kernels.assign(stored, p.array());                          // what was stored, in float32
            if (counting) countLost(old, stored, w);
            if (rounding == Rounding.KAHAN) {
                Kernels.sub(stored, old, next);                         // what the step really added
                Kernels.sub(next, delta, next);                         // minus what it meant to add: −(lost part)
                w.store(state(p, "compensation"), next);
            }
        }

        /** attempted := 1 where the float32 result differs from the old value (an update was computed). */
        private static void markAttempted(INDArray old, INDArray next, Workspace w) {
            INDArray attempted = w.get("attempted");
            Kernels.sub(next, old, attempted);
            Kernels.abs(attempted, attempted);
            Kernels.sign(attempted, attempted);
        }

        /** Counts elements marked attempted whose stored value equals the old one: the update was lost. */
        private void countLost(INDArray old, INDArray stored, Workspace w) {
            INDArray attempted = w.get("attempted");
            INDArray applied = w.get("g");                          // g's copy is not needed any more
            Kernels.sub(stored, old, applied);
            Kernels.abs(applied, applied);
            Kernels.sign(applied, applied);                             // 1 where the stored value moved
            Kernels.mul(attempted, applied, applied);
            Kernels.sub(attempted, applied, attempted);                 // 1 where computed and lost
            INDArray total = w.get("m", 1);                         // nor is m's
            Kernels.sum(attempted, false, new int[0], total.reshape('c', new long[0]));
            lostUpdates += Math.round(total.getDouble(0));
            countedUpdates += attempted.length();
        }
    }
}
