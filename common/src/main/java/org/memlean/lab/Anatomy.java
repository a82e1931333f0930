package org.memlean.lab;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Bytes;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.MemoryEvent;
import org.memlean.memory.MemoryMeter;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.tensor.Rng;

/**
 * Where the bytes of one training step go. Runs two steps of the GPT with AdamW (the first creates
 * the optimizer state) and measures the second: its peak, by category, and the ledger at the end
 * of forward — the moment the analytic model describes exactly.
 *
 * <p>The analytic model (FLOAT, dropout off, batch B, sequence T, answer length N, P parameters):
 * <ul>
 *   <li>PARAMETER 4P; OPTIMIZER_STATE 8P (AdamW's two moments); GRADIENT 0 at the end of forward
 *       (gradients were set to none after the previous step) and 4P once backward has finished;</li>
 *   <li>ACTIVATION, what the Functions saved: per block 16·BTC (LN inputs, linear inputs, q k v, the
 *       GELU's input and output) + B·H·T² (softmax output) + 4·BT (each LN's mean and 1/std); then
 *       the final LN (BTC + 2BT), the head's input (BTC) and the loss's log-probabilities (B·N·V);
 *       all times 4 bytes;</li>
 *   <li>INPUT: ids (B·T), targets (B·N) and position ids (T), INT32; TEMPORARY: the loss scalar.</li>
 * </ul>
 */
public final class Anatomy {
    private Anatomy() {}

    /**
     * @param measuredPeakBytes the second step's measured peak
     * @param measuredPeakByCategory the ledger at that peak
     * @param measuredEndOfForward the ledger when forward ended
     * @param predictedEndOfForward the analytic model of that moment
     * @param maxByCategory each category's own highest value in the step
     */
    public record Result(GptConfig config, int batchSize, int sequenceLength, int answerLength,
                         long measuredPeakBytes, Map<Category, Long> measuredPeakByCategory,
                         Map<Category, Long> measuredEndOfForward, Map<Category, Long> predictedEndOfForward,
                         Map<Category, Long> measuredOptimizerStep, Map<Category, Long> predictedOptimizerStep,
                         Map<Category, Long> maxByCategory, List<MemoryEvent> timeline) {
        /** The analytic peak: whichever modelled moment holds more bytes. */
        public Map<Category, Long> predictedPeakByCategory() {
            return total(predictedEndOfForward) >= total(predictedOptimizerStep) ? predictedEndOfForward
                    : predictedOptimizerStep;
        }
    }

    static long total(Map<Category, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }

    public static Result run(GptConfig config, int batchSize, int digits) {
        ReversalTask task = new ReversalTask(digits, 11);
        Rng.seed(5);
        Device.settle();
        // one meter over everything, so the timeline shows parameters and optimizer state too;
        // the figures are read from the events after the "measured step" mark
        try (MemoryMeter meter = MemoryMeter.start("anatomy"); Gpt model = new Gpt(config)) {
            AdamW optimizer = new AdamW(model.parameters(), 1e-3);
            Training.step(model, optimizer, task, batchSize);   // warm-up: creates the optimizer state
            meter.mark("measured step");
            Training.step(model, optimizer, task, batchSize);
            List<MemoryEvent> all = meter.timeline();
            int from = 0;
            while (!isMark(all.get(from), "measured step")) from++;
            List<MemoryEvent> step = all.subList(from, all.size());
            MemoryEvent peak = step.get(0);
            for (MemoryEvent e : step) if (e.backendLive() > peak.backendLive()) peak = e;
            Map<Category, Long> optimizerStep = atMark(step, "optimizer");
            long largest = 0;
            for (var t : model.parameters()) largest = Math.max(largest, t.bytes());
            optimizerStep.merge(Category.TEMPORARY, largest, Long::sum); // AdamW's one scratch buffer
            Map<Category, Long> max = new EnumMap<>(Category.class);
            for (Category c : Category.values()) {
                max.put(c, step.stream().mapToLong(e -> e.liveByCategory()[c.ordinal()]).max().orElse(0));
            }
            optimizer.close();
            return new Result(config, batchSize, task.sequenceLength(), digits, peak.backendLive(), byCategory(peak),
                    atMark(step, "backward"), predictEndOfForward(config, batchSize, task.sequenceLength(), digits),
                    optimizerStep, predictOptimizerStep(config, batchSize, task.sequenceLength(), digits),
                    max, List.copyOf(step));
        }
    }

    private static boolean isMark(MemoryEvent e, String label) {
        return e.kind() == MemoryEvent.Kind.MARK && label.equals(e.label());
    }

    private static Map<Category, Long> byCategory(MemoryEvent e) {
        Map<Category, Long> m = new EnumMap<>(Category.class);
        for (Category c : Category.values()) m.put(c, e.liveByCategory()[c.ordinal()]);
        return m;
    }

    private static Map<Category, Long> atMark(List<MemoryEvent> events, String label) {
        for (MemoryEvent e : events) if (isMark(e, label)) return byCategory(e);
        throw new IllegalStateException("no '" + label + "' mark on the timeline");
    }

    /** The measured and predicted breakdowns as a text table, with the finding in one sentence. */
    public static String table(Result r) {
        GptConfig config = r.config();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("One training step of the GPT (L=%d, C=%d, H=%d, V=%d, %,d parameters), B=%d, T=%d, "
                        + "AdamW, %s backend%n", config.layers(), config.channels(), config.heads(), config.vocabSize(),
                config.parameterCount(), r.batchSize(), r.sequenceLength(), Device.backendName()));
        sb.append(String.format("%-16s %14s %14s %14s %14s %14s%n", "category", "at peak", "end of fwd", "predicted",
                "optimizer", "predicted"));
        for (Category c : Category.values()) {
            sb.append(String.format("%-16s %14s %14s %14s %14s %14s%n", c, Bytes.format(r.measuredPeakByCategory().get(c)),
                    Bytes.format(r.measuredEndOfForward().get(c)), Bytes.format(r.predictedEndOfForward().get(c)),
                    Bytes.format(r.measuredOptimizerStep().get(c)), Bytes.format(r.predictedOptimizerStep().get(c))));
        }
        sb.append(String.format("%-16s %14s %14s %14s %14s %14s%n", "total", Bytes.format(r.measuredPeakBytes()),
                Bytes.format(total(r.measuredEndOfForward())), Bytes.format(total(r.predictedEndOfForward())),
                Bytes.format(total(r.measuredOptimizerStep())), Bytes.format(total(r.predictedOptimizerStep()))));
        long modelled = Math.max(total(r.predictedEndOfForward()), total(r.predictedOptimizerStep()));
        sb.append(String.format("Measured peak %s; the larger modelled moment %s; the %s between them are backward's "
                        + "transients (gradients of activations and op scratch, which the model does not count).%n",
                Bytes.format(r.measuredPeakBytes()), Bytes.format(modelled),
                Bytes.format(r.measuredPeakBytes() - modelled)));
        return sb.toString();
    }

    /**
     * The analytic model of the optimizer step's peak: every gradient (4P), parameters and
     * moments, the batch (ids and targets; position ids went with backward), the loss scalar,
     * and AdamW's scratch buffer for the largest parameter. Activations are all gone.
     */
    public static Map<Category, Long> predictOptimizerStep(GptConfig config, long b, long t, long n) {
        long c = config.channels();
        long p = config.parameterCount();
        long largest = Math.max(4 * c * c, Math.max((long) config.vocabSize(), config.blockSize()) * c);
        Map<Category, Long> m = new EnumMap<>(Category.class);
        m.put(Category.PARAMETER, 4 * p);
        m.put(Category.GRADIENT, 4 * p);
        m.put(Category.OPTIMIZER_STATE, 8 * p);
        m.put(Category.ACTIVATION, 0L);
        m.put(Category.TEMPORARY, 4 + 4 * largest);
        m.put(Category.INPUT, 4 * (b * t + b * n));
        return m;
    }

    /** The analytic model of the ledger at the end of forward (see the class comment). */
    public static Map<Category, Long> predictEndOfForward(GptConfig config, long b, long t, long n) {
        long p = config.parameterCount();
        Map<Category, Long> m = new EnumMap<>(Category.class);
        m.put(Category.PARAMETER, 4 * p);
        m.put(Category.GRADIENT, 0L);
        m.put(Category.OPTIMIZER_STATE, 8 * p);
        m.put(Category.ACTIVATION, config.savedActivationBytes(b, t, n));
        m.put(Category.TEMPORARY, 4L);
        m.put(Category.INPUT, 4 * (b * t + b * n + t));
        return m;
    }
}
