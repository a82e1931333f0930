package org.memlean.ch10;

import java.util.LinkedHashMap;
import java.util.List;
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

    /** The family's configurations, as {@code --config} names them. */
    abstract List<String> configurations();

    @Override
    public String name() {
        return family();
    }

    @Override
    public Map<String, Object> calculate() {
        String name = family() + "-" + config.strip().toLowerCase(Locale.ROOT);
        if (!configurations().contains(name.substring(family().length() + 1))) {
            throw new IllegalArgumentException("unknown --config '" + config + "' for " + family() + ": "
                    + String.join(", ", configurations()));
        }
        Albert.Spec s = Albert.published(name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("config", name);
        out.put("parameters", Albert.parameterCount(s));
        out.put("withoutPooler", Albert.parameterCount(s) - Albert.poolerParameters(s));
        if (family().equals("bert")) out.put("withBertsVocabulary", Albert.parameterCount(s.withVocab(Albert.BERT_VOCAB)));
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
        String text = String.format(Locale.ROOT, "%s (V = %,d, E = %d, H = %d, L = %d%s): %,d parameters "
                        + "(embeddings, encoder, pooler), %,d without the pooler; the ALBERT paper's Table 1: %.0fM%n",
                r.get("config"), r.get("vocab"), r.get("embedding"), r.get("hidden"), r.get("layers"),
                (Boolean) r.get("shared") ? ", one shared block" : "", (Long) r.get("parameters"),
                (Long) r.get("withoutPooler"), (Double) r.get("paperMillions"));
        if (r.containsKey("withBertsVocabulary")) {
            text += String.format(Locale.ROOT, "with BERT's own WordPiece vocabulary (V = %,d): %,d parameters%n",
                    Albert.BERT_VOCAB, (Long) r.get("withBertsVocabulary"));
        }
        return text;
    }

    @Command(name = "albert", description = "Parameters of ALBERT base, large, xlarge or xxlarge (Lan et al. 2019, Table 1).")
    public static final class AlbertCounts extends EncoderCalculator {
        @Override
        String family() {
            return "albert";
        }

        @Override
        List<String> configurations() {
            return List.of("base", "large", "xlarge", "xxlarge");
        }
    }

    @Command(name = "bert", description = "Parameters of BERT base or large: at ALBERT's Table 1 vocabulary (30,000) "
            + "and at BERT's own (30,522).")
    public static final class BertCounts extends EncoderCalculator {
        @Override
        String family() {
            return "bert";
        }

        @Override
        List<String> configurations() {
            return List.of("base", "large");
        }
    }
}
