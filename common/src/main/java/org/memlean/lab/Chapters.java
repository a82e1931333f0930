package org.memlean.lab;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;

/** The chapters on the class path, found with {@link ServiceLoader}, in chapter order. */
public final class Chapters {
    private static volatile List<Chapter> override;

    private Chapters() {}

    /** Replaces discovery with a fixed list (null restores ServiceLoader); for tests. */
    public static void override(List<Chapter> chapters) {
        override = chapters;
    }

    public static List<Chapter> all() {
        if (override != null) return override;
        List<Chapter> out = new ArrayList<>();
        ServiceLoader.load(Chapter.class).forEach(out::add);
        out.sort(Comparator.comparingInt(Chapter::number));
        return out;
    }

    /** The chapter named "ch01", "1" or "01". */
    public static Optional<Chapter> find(String name) {
        String n = name.toLowerCase(Locale.ROOT).replaceFirst("^ch", "");
        int number;
        try {
            number = Integer.parseInt(n);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return all().stream().filter(c -> c.number() == number).findFirst();
    }
}
