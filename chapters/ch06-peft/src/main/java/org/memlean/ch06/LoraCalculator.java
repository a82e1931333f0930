package org.memlean.ch06;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.memlean.lab.Calculator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./memlean calc lora --hidden D --layers L --targets q,v --rank r}: the trainable parameters LoRA adds. */
@Command(name = "lora", description = "Trainable parameters LoRA adds to a transformer (Lora.trainableParameters).")
public final class LoraCalculator extends Calculator {
    @Option(names = "--hidden", required = true, paramLabel = "D", description = "The model's width d.")
    long hidden;

    @Option(names = "--layers", required = true, paramLabel = "L", description = "Transformer blocks.")
    long layers;

    @Option(names = "--targets", defaultValue = "q,v", split = ",",
            description = "Projections to adapt: q, k, v, o (attention), up, down (MLP); default ${DEFAULT-VALUE}.")
    String[] targets;

    @Option(names = "--rank", required = true, paramLabel = "r", description = "LoRA's rank.")
    long rank;

    @Override
    public String name() {
        return "lora";
    }

    @Override
    public Map<String, Object> calculate() {
        if (hidden < 1 || layers < 1 || rank < 1) {
            throw new IllegalArgumentException("--hidden, --layers and --rank must be positive (got " + hidden + ", "
                    + layers + ", " + rank + ")");
        }
        Set<Lora.Target> chosen = EnumSet.noneOf(Lora.Target.class);
        for (String t : targets) {
            try {
                chosen.add(Lora.Target.valueOf(t.strip().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown target '" + t + "': use q, k, v, o, up or down");
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("trainableParameters", Lora.trainableParameters(hidden, layers, chosen, rank));
        return out;
    }

    @Override
    public String text(Map<String, Object> results) {
        return String.format(Locale.ROOT, "LoRA on %s, rank %d, %d layers of width %d: %,d trainable parameters%n",
                String.join(",", targets), rank, layers, hidden, (Long) results.get("trainableParameters"));
    }
}
