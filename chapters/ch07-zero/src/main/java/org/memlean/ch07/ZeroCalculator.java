package org.memlean.ch07;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.memlean.ch07.Zero.Stage;
import org.memlean.dist.Collective;
import org.memlean.lab.Calculator;
import org.memlean.memory.Bytes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./memlean calc zero --params 7.5B --ranks 64}: bytes of model states per device for DDP and
 * ZeRO's three stages under the paper's mixed-precision accounting — fp16 parameters (2Ψ) and
 * gradients (2Ψ), K·Ψ of optimizer state (K = 12 for Adam: fp32 master weights, momentum and
 * variance) — by {@link Zero#modelStateBytes}, the formula the chapter's test checks against the
 * meter (there with float32's 4, 4 and 8).
 */
@Command(name = "zero", description = "Model-state bytes per device for DDP and ZeRO-1/2/3 (Rajbhandari et al. 2020, Figure 1).")
public final class ZeroCalculator extends Calculator {
    @Option(names = "--params", required = true, paramLabel = "P",
            description = "Parameters Ψ: a number, or with K, M, B or T (7.5B = 7.5·10⁹).")
    String params;

    @Option(names = "--ranks", required = true, paramLabel = "N", description = "Data-parallel devices.")
    int ranks;

    @Option(names = "--k", defaultValue = "12", paramLabel = "K",
            description = "Optimizer-state bytes per parameter (Adam in mixed precision: 12; default ${DEFAULT-VALUE}).")
    int k;

    @Override
    public String name() {
        return "zero";
    }

    /** "7.5B" → 7,500,000,000; "1.3e9", "350M", "125000000" likewise. */
    static long parseCount(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT).replace("_", "").replace(",", "");
        BigDecimal scale = BigDecimal.ONE;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'K' -> scale = BigDecimal.TEN.pow(3);
                case 'M' -> scale = BigDecimal.TEN.pow(6);
                case 'B', 'G' -> scale = BigDecimal.TEN.pow(9);
                case 'T' -> scale = BigDecimal.TEN.pow(12);
                default -> { }
            }
            if (scale != BigDecimal.ONE) t = t.substring(0, t.length() - 1);
        }
        try {
            BigDecimal value = new BigDecimal(t).multiply(scale);
            if (value.signum() <= 0 || value.stripTrailingZeros().scale() > 0) {
                throw new IllegalArgumentException("--params must be a positive whole number of parameters, got '" + text + "'");
            }
            return value.longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("--params must be a count such as 7.5B, 350M or 125000000, got '" + text + "'");
        }
    }

    @Override
    public Map<String, Object> calculate() {
        long psi = parseCount(params);
        if (ranks < 1) throw new IllegalArgumentException("--ranks must be at least 1, got " + ranks);
        if (k < 0) throw new IllegalArgumentException("--k must be ≥ 0 bytes per parameter, got " + k);
        long shard = Collective.chunk(psi, ranks);          // one flat buffer split N ways (⌈Ψ/N⌉)
        Map<String, Long> bytes = new LinkedHashMap<>();
        for (Stage stage : Stage.values()) bytes.put(stage.id(), Zero.modelStateBytes(stage, psi, shard, 2, 2, k));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("params", psi);
        out.put("ranks", ranks);
        out.put("k", k);
        out.put("bytesPerDevice", bytes);
        return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    public String text(Map<String, Object> results) {
        Map<String, Long> bytes = (Map<String, Long>) results.get("bytesPerDevice");
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "Model states per device: Ψ = %,d parameters, N = %d devices, K = %d (fp16 parameters and gradients)%n",
                psi(results), ranks, k));
        String[] what = {"DDP (no partitioning)", "ZeRO-1 (optimizer state)", "ZeRO-2 (+ gradients)", "ZeRO-3 (+ parameters)"};
        int i = 0;
        for (Map.Entry<String, Long> e : bytes.entrySet()) {
            sb.append(String.format(Locale.ROOT, "  %-6s %-26s %10.2f GB  (%s)%n", e.getKey(), what[i++],
                    e.getValue() / 1e9, Bytes.format(e.getValue())));
        }
        return sb.toString();
    }

    private static long psi(Map<String, Object> results) {
        return (Long) results.get("params");
    }
}
