package org.memlean.exercises.ch05;

import org.memlean.nn.GptConfig;

/** Chapter 5 exercises, solved. */
public final class LeanState {
    private LeanState() {}

    /** Task 5.1: R·Cᵀ / ΣR. */
    public static double[][] factoredSecondMoment(double[][] squared) {
        int rows = squared.length;
        int cols = squared[0].length;
        double[] r = new double[rows];
        double[] c = new double[cols];
        double total = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                r[i] += squared[i][j];
                c[j] += squared[i][j];
            }
            total += r[i];
        }
        double[][] v = new double[rows][cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) v[i][j] = r[i] * c[j] / total;
        return v;
    }

    /** Task 5.2: a formula per tensor, summed. */
    public static long stateBytes(String optimizer, GptConfig config) {
        long bytes = 0;
        for (long[] shape : config.parameterShapes().values()) {
            long n = 1;
            for (long d : shape) n *= d;
            bytes += switch (optimizer) {
                case "adamw" -> 8 * n;
                case "lion" -> 4 * n;
                case "adafactor" -> shape.length == 2 ? 4 * (shape[0] + shape[1]) : 4 * n;
                case "adamw8bit" -> n >= 4096 && n % 2048 == 0 ? 2 * n + 2 * 4 * (n / 2048) : 8 * n;
                default -> throw new IllegalArgumentException("unknown optimizer " + optimizer);
            };
        }
        return bytes;
    }
}
