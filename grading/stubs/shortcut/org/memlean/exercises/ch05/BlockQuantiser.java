package org.memlean.exercises.ch05;

/** Shortcut: one scale for the whole tensor. */
public final class BlockQuantiser {
    private BlockQuantiser() {}

    public record Quantised(byte[] codes, float[] scales) {}

    public static Quantised quantise(float[] values, int block) {
        float max = 0;
        for (float v : values) max = Math.max(max, Math.abs(v));
        byte[] codes = new byte[values.length];
        for (int i = 0; i < values.length; i++) codes[i] = max == 0 ? 0 : (byte) Math.round(127 * values[i] / max);
        float[] scales = new float[(values.length + block - 1) / block];
        java.util.Arrays.fill(scales, max);
        return new Quantised(codes, scales);
    }

    public static float[] dequantise(Quantised q, int block) {
        float[] out = new float[q.codes().length];
        for (int i = 0; i < out.length; i++) out[i] = q.codes()[i] * q.scales()[0] / 127;
        return out;
    }
}
