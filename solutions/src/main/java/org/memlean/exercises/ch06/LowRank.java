package org.memlean.exercises.ch06;

import java.util.Set;
import org.memlean.nn.GptConfig;

/** Chapter 6 exercises, solved. */
public final class LowRank {
    private LowRank() {}

    static double[][] product(double[][] a, double[][] b) {
        double[][] out = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < b.length; k++) {
                double aik = a[i][k];
                for (int j = 0; j < b[0].length; j++) out[i][j] += aik * b[k][j];
            }
        }
        return out;
    }

    /** Task 6.1a. */
    public static double[][] forward(double[][] x, double[][] w, double[][] a, double[][] b, double scale) {
        double[][] y = product(x, w);
        double[][] d = product(product(x, a), b);
        for (int i = 0; i < y.length; i++) for (int j = 0; j < y[0].length; j++) y[i][j] += scale * d[i][j];
        return y;
    }

    /** Task 6.1b. */
    public static double[][] merge(double[][] w, double[][] a, double[][] b, double scale) {
        double[][] ab = product(a, b);
        double[][] out = new double[w.length][w[0].length];
        for (int i = 0; i < w.length; i++) for (int j = 0; j < w[0].length; j++) out[i][j] = w[i][j] + scale * ab[i][j];
        return out;
    }

    /** Task 6.2. */
    public static long trainableParameters(GptConfig config, Set<String> targets, int rank) {
        long c = config.channels();
        long perBlock = 0;
        for (String t : targets) perBlock += switch (t) {
            case "q", "k", "v", "o" -> rank * (c + c);
            case "up", "down" -> rank * (c + 4 * c);
            default -> throw new IllegalArgumentException("unknown target " + t);
        };
        return config.layers() * perBlock;
    }
}
