package org.memlean.ch10;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The results of {@code calc bert} and {@code calc albert}: the count, the configuration, the paper's figure. */
final class EncoderCounts {
    private EncoderCounts() {}

    static Map<String, Object> of(String name) {
        Albert.Spec s = Albert.published(name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("config", name);
        out.put("parameters", Albert.parameterCount(s));
        out.put("vocab", s.vocab());
        out.put("embedding", s.embedding());
        out.put("hidden", s.hidden());
        out.put("layers", s.layers());
        out.put("shared", s.sharing() == Albert.Sharing.ALL);
        out.put("paperMillions", Albert.paperMillions(name));
        return out;
    }

    static String text(Map<String, Object> r) {
        return String.format(Locale.ROOT, "%s (V = %,d, E = %d, H = %d, L = %d%s): %,d parameters "
                        + "(embeddings, encoder, pooler); the ALBERT paper's Table 1: %.0fM%n", r.get("config"), r.get("vocab"),
                r.get("embedding"), r.get("hidden"), r.get("layers"), (Boolean) r.get("shared") ? ", one shared block" : "",
                (Long) r.get("parameters"), (Double) r.get("paperMillions"));
    }
}
