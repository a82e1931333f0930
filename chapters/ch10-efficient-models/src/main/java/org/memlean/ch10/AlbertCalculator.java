package org.memlean.ch10;

import java.util.Locale;
import java.util.Map;
import org.memlean.lab.Calculator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./memlean calc albert --config base}: the parameters of a published ALBERT, by {@link Albert#parameterCount}. */
@Command(name = "albert", description = "Parameters of ALBERT base, large, xlarge or xxlarge (Lan et al. 2019, Table 1).")
public final class AlbertCalculator extends Calculator {
    @Option(names = "--config", required = true, paramLabel = "NAME", description = "base, large, xlarge or xxlarge")
    String config;

    @Override
    public String name() {
        return "albert";
    }

    @Override
    public Map<String, Object> calculate() {
        return EncoderCounts.of("albert-" + config.strip().toLowerCase(Locale.ROOT));
    }

    @Override
    public String text(Map<String, Object> results) {
        return EncoderCounts.text(results);
    }
}
