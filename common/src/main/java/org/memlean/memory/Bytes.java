package org.memlean.memory;

import java.util.Locale;

/** Human-readable byte counts, in binary units as PyTorch prints them. */
public final class Bytes {
    private Bytes() {}

    /** Formats {@code bytes} as B, KiB, MiB or GiB with two decimals. */
    public static String format(long bytes) {
        double value = Math.abs((double) bytes);
        String sign = bytes < 0 ? "-" : "";
        if (value < 1024) return sign + (long) value + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return sign + String.format(Locale.ROOT, "%.2f %s", value, units[unit]);
    }

    /** A growth rate: "0 B" exactly when nothing grew, else the rounded bytes with a sign ("+22.00 KiB"). */
    public static String formatRate(double bytesPerStep) {
        if (bytesPerStep == 0) return "0 B";
        long rounded = Math.round(bytesPerStep);
        return (rounded >= 0 ? "+" : "") + format(rounded);
    }
}
