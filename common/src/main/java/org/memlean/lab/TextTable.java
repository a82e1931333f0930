package org.memlean.lab;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table built row by row and printed in one piece (so a notebook shows it as one
 * block, not one fragment per printed cell). Numbers right-aligned, text left-aligned.
 *
 * <pre>{@code
 * TextTable t = new TextTable("arm", "peak", "time");
 * t.row("float32", "7.13 MiB", "1.00×");
 * System.out.print(t);
 * }</pre>
 */
public final class TextTable {
    private final String[] header;
    private final List<String[]> rows = new ArrayList<>();

    public TextTable(String... header) {
        this.header = header.clone();
    }

    /** Adds a row of as many cells as there are columns (objects are printed with toString). */
    public TextTable row(Object... cells) {
        if (cells.length != header.length) {
            throw new IllegalArgumentException("a row of " + cells.length + " cells for " + header.length + " columns");
        }
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) r[i] = String.valueOf(cells[i]);
        rows.add(r);
        return this;
    }

    private static boolean numeric(String s) {
        return !s.isEmpty() && (Character.isDigit(s.charAt(0)) || s.charAt(0) == '-' || s.charAt(0) == '≈'
                || s.charAt(0) == '+') && !s.startsWith("-–");
    }

    @Override
    public String toString() {
        int[] width = new int[header.length];
        for (int i = 0; i < header.length; i++) width[i] = header[i].length();
        for (String[] r : rows) for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
        // a column is right-aligned (header too) when its first row holds a number
        boolean[] right = new boolean[header.length];
        for (int i = 1; i < header.length; i++) right[i] = rows.isEmpty() || numeric(rows.get(0)[i]);
        StringBuilder sb = new StringBuilder();
        line(sb, header, width, right);
        for (String[] r : rows) line(sb, r, width, right);
        return sb.toString();
    }

    private static void line(StringBuilder sb, String[] cells, int[] width, boolean[] alignRight) {
        for (int i = 0; i < cells.length; i++) {
            String c = cells[i];
            int pad = width[i] - c.length();
            boolean right = alignRight[i];
            if (i > 0) sb.append("  ");
            if (right) sb.append(" ".repeat(pad)).append(c);
            else sb.append(c).append(i == cells.length - 1 ? "" : " ".repeat(pad));
        }
        sb.append('\n');
    }
}
