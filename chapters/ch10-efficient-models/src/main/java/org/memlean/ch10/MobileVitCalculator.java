package org.memlean.ch10;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.memlean.lab.Calculator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./memlean calc mobilevit --config xxs}: builds the network from the framework's modules and counts. */
@Command(name = "mobilevit", description = "Parameters of MobileViT-XXS, -XS or -S (Mehta & Rastegari 2021), counted on the built model.")
public final class MobileVitCalculator extends Calculator {
    @Option(names = "--config", required = true, paramLabel = "NAME", description = "xxs, xs or s")
    String config;

    @Override
    public String name() {
        return "mobilevit";
    }

    @Override
    public Map<String, Object> calculate() {
        String name = config.strip().toLowerCase(Locale.ROOT);
        MobileVit.Spec spec = MobileVit.published(name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("config", spec.name());
        try (MobileVit.Model model = new MobileVit.Model(spec)) {
            out.put("parameters", model.parameterCount());
        }
        out.put("paperMillions", MobileVit.paperMillions(name));
        return out;
    }

    @Override
    public String text(Map<String, Object> r) {
        return String.format(Locale.ROOT, "%s (1000 classes): %,d parameters, counted on the model built from the framework's "
                + "modules; the paper: %.1fM%n", r.get("config"), (Long) r.get("parameters"), (Double) r.get("paperMillions"));
    }
}
