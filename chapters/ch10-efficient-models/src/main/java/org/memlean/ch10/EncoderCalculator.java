package org.memlean.ch10;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.memlean.lab.Calculator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./memlean calc albert --config xxlarge} and {@code calc bert --config base}: the parameters
 * of a published encoder, by {@link Albert#parameterCount} — the count, the configuration, and the
 * figure the ALBERT paper prints beside it.
 */
public abstract class EncoderCalculator extends Calculator {
    @Option(names = "--config", required = true, paramLabel = "NAME", description = "the configuration (listed above)")
    String config;

    /** "albert" or "bert": the family whose configurations {@code --config} names. */
    abstract String family();

    @Override
    public String name() {
        return family();
    }

    @Override
    public Map<String, Object> calculate() {
        String name = family() + "-" + config.strip().toLowerCase(Locale.ROOT);
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

    @Override
    public String text(Map<String, Object> r) {
        return String.format(Locale.ROOT, "%s (V = %,d, E = %d, H = %d, L = %d%s): %,d parameters "
                        + "(embeddings, encoder, pooler); the ALBERT paper's Table 1: %.0fM%n", r.get("config"), r.get("vocab"),
                r.get("embedding"), r.get("hidden"), r.get("layers"), (Boolean) r.get("shared") ? ", one shared block" : "",
                (Long) r.get("parameters"), (Double) r.get("paperMillions"));
    }

    @Command(name = "albert", description = "Parameters of ALBERT base, large, xlarge or xxlarge (Lan et al. 2019, Table 1).")
    public static final class AlbertCounts extends EncoderCalculator {
        @Override
        String family() {
            return "albert";
        }
    }

    @Command(name = "bert", description = "Parameters of BERT base or large, as ALBERT's Table 1 lists them.")
    public static final class BertCounts extends EncoderCalculator {
        @Override
        String family() {
            return "bert";
        }
    }
}
