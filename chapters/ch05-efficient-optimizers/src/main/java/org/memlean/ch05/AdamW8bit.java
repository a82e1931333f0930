package org.memlean.ch05;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import org.memlean.optim.AdamSettings;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Kernels;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * 8-bit AdamW (Dettmers et al. 2022, "8-bit Optimizers via Block-wise Quantization"): AdamW whose two
 * moments are stored as one byte each. Each tensor is cut into blocks of {@link #BLOCK} elements; a
 * block keeps one float32 scale, its absolute maximum, and each element the index (0–255) of the
 * nearest value of the paper's <b>dynamic quantisation map</b> to its value / scale. The map spends
 * its codes on a logarithmic scale — 2ⁱ evenly spaced values in each decade 10^(i−7) … 10^(i−6), for
 * i = 0 … 6, both signs, plus 0 and 1 — so small moments keep relative precision where a linear map
 * would round them to zero (and Adam would divide by that zero). The first moment uses that signed
 * map; the second, never negative, the unsigned one — 2ⁱ⁺¹ values in each decade, plus 0 and 1, all
 * 256 codes on [0, 1] — as bitsandbytes does ({@code create_dynamic_map(signed=False)}, its
 * {@code qmap2}, in {@code bitsandbytes/functional.py} and {@code optim/optimizer.py}).
 *
 * <p>As bitsandbytes does, tensors of fewer than {@link #MIN_8BIT_SIZE} elements (biases, norms,
 * small embeddings) keep float32 moments: their state is small and their blocks would be mostly
 * scale. A tensor must also be a whole number of blocks (every matrix of the course's GPT is).
 *
 * <p>Blocks of 2048 elements are the paper's; bitsandbytes has used blocks of 256 since version 0.44
 * ({@code blocksize = 256} in {@code Optimizer2State.init_state}) — the course keeps the paper's.
 *
 * <p>State per 8-bit tensor of n elements: 2·n bytes of codes + 2·4·n/2048 bytes of scales, about 2
 * bytes a parameter instead of AdamW's 8. Each step dequantises both moments into float32 (the
 * workspace), runs AdamW's update there, and quantises them back. The quantisation runs on the host
 * here, through the workspace's memory (nothing is allocated); bitsandbytes fuses it into its CUDA
 * kernel.
 */
public final class AdamW8bit extends Optimizer {
    /** Elements per quantisation block: the paper's 2048 (bitsandbytes ≥ 0.44 uses 256). */
    public static final int BLOCK = 2048;
    /** Tensors smaller than this keep float32 moments (bitsandbytes' min_8bit_size). */
    public static final int MIN_8BIT_SIZE = 4096;
    /** The 256 values of the signed dynamic map, ascending: the first moment's. */
    static final float[] MAP = dynamicMap(true);
    /** The 256 values of the unsigned dynamic map, ascending: the second moment's. */
    static final float[] UNSIGNED_MAP = dynamicMap(false);

    private final AdamSettings settings;

    public AdamW8bit(List<Tensor> parameters, AdamSettings settings) {
        super(parameters);
        this.settings = settings;
    }

    public AdamW8bit(List<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(parameters, new AdamSettings(lr, beta1, beta2, eps, weightDecay));
    }

    /** Whether a tensor of {@code elements} elements gets 8-bit moments. */
    public static boolean quantised(long elements) {
        return elements >= MIN_8BIT_SIZE && elements % BLOCK == 0;
    }

    /** Bytes of state for a float32 parameter of {@code elements} elements. */
    public static long stateBytes(long elements) {
        return quantised(elements) ? 2 * elements + 2 * 4 * (elements / BLOCK) : 8 * elements;
    }

    /**
     * The dynamic map: for each decade i = 0 … 6, the midpoints of k equal cells of [0.1, 1] times
     * 10^(i−6) — k = 2ⁱ with both signs (signed), k = 2ⁱ⁺¹ positive (unsigned): 254 values either way
     * — then 0 and 1; sorted. bitsandbytes' {@code create_dynamic_map}.
     */
    static float[] dynamicMap(boolean signed) {
        float[] values = new float[256];
        int n = 0;
        for (int i = 0; i < 7; i++) {
            int cells = signed ? 1 << i : 2 << i;
            for (int j = 0; j < cells; j++) {
                double mid = 0.1 + 0.9 * (j + 0.5) / cells;
                values[n++] = (float) (Math.pow(10, i - 6) * mid);
                if (signed) values[n++] = (float) (-Math.pow(10, i - 6) * mid);
            }
        }
        values[n++] = 0f;
        values[n] = 1f;
        Arrays.sort(values);
        return values;
    }

    /** The index of the value of {@code map} nearest to {@code x} (x in [−1, 1]). */
    static int nearest(float[] map, float x) {
        int lo = Arrays.binarySearch(map, x);
        if (lo >= 0) return lo;
        int above = -lo - 1;
        if (above == 0) return 0;
        if (above == map.length) return map.length - 1;
        return x - map[above - 1] <= map[above] - x ? above - 1 : above;
    }

    @Override
    protected void initState(Tensor p) {
        if (p.dtype() != DataType.FLOAT) {
            throw new IllegalArgumentException("AdamW8bit updates FLOAT parameters; " + p + " is " + p.dtype());
        }
        if (quantised(p.length())) {
            long blocks = p.length() / BLOCK;
            addState(p, "exp_avg_codes", DataType.UINT8, p.shape());
            addState(p, "exp_avg_scales", DataType.FLOAT, blocks);
            addState(p, "exp_avg_sq_codes", DataType.UINT8, p.shape());
            addState(p, "exp_avg_sq_scales", DataType.FLOAT, blocks);
            // a zero moment is code of 0 everywhere, not byte 0: write it once
            fillCode(state(p, "exp_avg_codes"), zeroCode(MAP));
            fillCode(state(p, "exp_avg_sq_codes"), zeroCode(UNSIGNED_MAP));
        } else {
            addState(p, "exp_avg", DataType.FLOAT, p.shape());
            addState(p, "exp_avg_sq", DataType.FLOAT, p.shape());
        }
    }

    /** scratch, and the dequantised m and v (for a parameter whose moments are 8-bit). */
    @Override
    protected List<String> scratch(Tensor p) {
        return List.of("scratch", "m", "v");
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace w) {
        boolean eight = quantised(p.length());
        INDArray scratch = w.get("scratch");
        INDArray m = eight ? w.get("m") : state(p, "exp_avg").array();
        INDArray v = eight ? w.get("v") : state(p, "exp_avg_sq").array();
        if (eight) {                                                 // 8-bit codes → float32 moments
            dequantise(state(p, "exp_avg_codes"), state(p, "exp_avg_scales"), MAP, w.hostFloats("m"));
            w.hostWritten("m");
            dequantise(state(p, "exp_avg_sq_codes"), state(p, "exp_avg_sq_scales"), UNSIGNED_MAP, w.hostFloats("v"));
            w.hostWritten("v");
        }
        INDArray param = p.array();
        INDArray grad = g.array();
        double lr = settings.lr();
        double beta1 = settings.beta1();
        double beta2 = settings.beta2();
        double correction1 = 1 - Math.pow(beta1, steps);
        double correction2 = 1 - Math.pow(beta2, steps);
        if (settings.weightDecay() > 0) Kernels.scale(param, 1 - lr * settings.weightDecay(), param);  // p·(1 − lr·wd)
        Kernels.scale(m, beta1, m);                                  // m ← β1·m + (1 − β1)·g
        Kernels.scale(grad, 1 - beta1, scratch);
        Kernels.add(m, scratch, m);
        Kernels.mul(grad, grad, scratch);                            // v ← β2·v + (1 − β2)·g²
        Kernels.scale(scratch, 1 - beta2, scratch);
        Kernels.scale(v, beta2, v);
        Kernels.add(v, scratch, v);
        Kernels.scale(v, 1 / correction2, scratch);                  // p ← p − lr·m̂ / (√v̂ + ε)
        Kernels.sqrt(scratch, scratch);
        Kernels.addScalar(scratch, settings.eps(), scratch);
        Kernels.div(m, scratch, scratch);
        Kernels.scale(scratch, lr / correction1, scratch);
        Kernels.sub(param, scratch, param);
        if (eight) {                                                 // float32 moments → 8-bit codes
            quantise(w.hostFloats("m"), MAP, state(p, "exp_avg_codes"), state(p, "exp_avg_scales"));
            quantise(w.hostFloats("v"), UNSIGNED_MAP, state(p, "exp_avg_sq_codes"), state(p, "exp_avg_sq_scales"));
        }
    }

    /** The index of 0 in {@code map}. */
    static int zeroCode(float[] map) {
        return Arrays.binarySearch(map, 0f);
    }

    private static ByteBuffer hostBytes(Tensor t) {
        Nd4j.getAffinityManager().ensureLocation(t.array(), AffinityManager.Location.HOST);
        return t.array().data().asNio();
    }

    private static FloatBuffer hostFloats(Tensor t) {
        Nd4j.getAffinityManager().ensureLocation(t.array(), AffinityManager.Location.HOST);
        return t.array().data().asNioFloat();
    }

    private static void written(Tensor t) {
        Nd4j.getAffinityManager().tagLocation(t.array(), AffinityManager.Location.HOST);
    }

    private static void fillCode(Tensor codes, int code) {
        ByteBuffer b = hostBytes(codes);
        for (int i = 0; i < codes.length(); i++) b.put(i, (byte) code);
        written(codes);
    }

    /** values[i] = map[code[i]] · scale[block(i)]. */
    static void dequantise(Tensor codes, Tensor scales, float[] map, FloatBuffer values) {
        ByteBuffer c = hostBytes(codes);
        FloatBuffer s = hostFloats(scales);
        for (int i = 0; i < values.limit(); i++) values.put(i, map[c.get(i) & 0xFF] * s.get(i / BLOCK));
    }

    /** Per block: scale = absmax; code[i] = the index of the value of {@code map} nearest to values[i] / scale. */
    static void quantise(FloatBuffer values, float[] map, Tensor codes, Tensor scales) {
        ByteBuffer c = hostBytes(codes);
        FloatBuffer s = hostFloats(scales);
        int n = values.limit();
        for (int block = 0; block < n / BLOCK; block++) {
            float max = 0;
            for (int i = block * BLOCK; i < (block + 1) * BLOCK; i++) max = Math.max(max, Math.abs(values.get(i)));
            s.put(block, max);
            float inverse = max == 0 ? 0 : 1 / max;
            for (int i = block * BLOCK; i < (block + 1) * BLOCK; i++) c.put(i, (byte) nearest(map, values.get(i) * inverse));
        }
        written(codes);
        written(scales);
    }
}
