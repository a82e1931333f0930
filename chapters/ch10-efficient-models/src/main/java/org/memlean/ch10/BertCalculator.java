package org.memlean.ch10;

import java.util.Locale;
import java.util.Map;
import org.memlean.lab.Calculator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./memlean calc bert --config base}: the parameters of a published BERT, by {@link Albert#parameterCount}. */
@Command(name = "bert", description = "Parameters of BERT base or large, as ALBERT's Table 1 lists them.")
public final class BertCalculator extends Calculator {
    @Option(names = "--config", required = true, paramLabel = "NAME", description = "base or large")
    String config;

    @Override
    public String name() {
        return "bert";
    }

    @Override
    public Map<String, Object> calculate() {
        return EncoderCounts.of("bert-" + config.strip().toLowerCase(Locale.ROOT));
    }

    @Override
    public String text(Map<String, Object> results) {
        return EncoderCounts.text(results);
    }
}
