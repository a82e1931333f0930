package org.memlean.lab;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
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
 * the optimizer state) and measures the second: its peak — how big, by category, and where in the
 * step — and the ledger at two moments, the end of forward and the optimizer step. Beside each,
 * the analytic prediction: the end of forward by the closed formula below, the optimizer step and
 * the step's true peak by {@link StepMemoryModel}, which follows backward op by op.
 *
 * <p>The closed formula of the end of forward (FLOAT, dropout off, batch B, sequence T, answer
 * length N, P parameters):
 * <ul>
 *   <li>PARAMETER 4P; OPTIMIZER_STATE 8P (AdamW's two moments); GRADIENT 0 (gradients were set to
 *       none after the previous step);</li>
 *   <li>ACTIVATION, what the Functions saved: {@link GptConfig#savedActivationBytes};</li>
 *   <li>INPUT: ids (B·T), targets (B·N) and position ids (T), INT32; TEMPORARY: the loss scalar.</li>
 * </ul>
 */
public final class Anatomy {
    private Anatomy() {}

    /**
     * @param measuredPeakBytes the second step's measured peak
     * @param measuredPeakByCategory the ledger at that peak
     * @param measuredPeakAt the phase and the buffer whose allocation made the peak
     * @param predictedPeak the step model's peak, its breakdown and where it falls
     * @param measuredEndOfForward the ledger when forward ended
     * @param predictedEndOfForward the closed formula of that moment
     * @param measuredOptimizerStep the ledger at the highest moment of the optimizer step
     * @param predictedOptimizerStep the model of that moment
     * @param maxByCategory each category's own highest value in the step
     */
    public record Result(GptConfig config, int batchSize, int sequenceLength, int answerLength,
                         long measuredPeakBytes, Map<Category, Long> measuredPeakByCategory, String measuredPeakAt,
                         StepMemoryModel.Peak predictedPeak,
                         Map<Category, Long> measuredEndOfForward, Map<Category, Long> predictedEndOfForward,
                         Map<Category, Long> measuredOptimizerStep, Map<Category, Long> predictedOptimizerStep,
                         Map<Category, Long> maxByCategory, List<MemoryEvent> timeline) {
        /** The predicted peak over the measured one, minus one (0.01 is 1 % high). */
        public double peakError() {
            return (double) predictedPeak.bytes() / measuredPeakBytes - 1;
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
            int peakIndex = 0;
            for (int i = 0; i < step.size(); i++) if (step.get(i).backendLive() > step.get(peakIndex).backendLive()) peakIndex = i;
            MemoryEvent peak = step.get(peakIndex);
            int optimizerMark = indexOfMark(step, "optimizer");
            MemoryEvent optimizerPeak = step.get(optimizerMark);
            for (int i = optimizerMark; i < step.size(); i++) {
                if (step.get(i).backendLive() > optimizerPeak.backendLive()) optimizerPeak = step.get(i);
            }
            Map<Category, Long> max = new EnumMap<>(Category.class);
            for (Category c : Category.values()) {
                max.put(c, step.stream().mapToLong(e -> e.liveByCategory()[c.ordinal()]).max().orElse(0));
            }
            optimizer.close();
            long t = task.sequenceLength();
            return new Result(config, batchSize, task.sequenceLength(), digits, peak.backendLive(), byCategory(peak),
                    where(step, peakIndex), StepMemoryModel.predictPeak(config, batchSize, t, digits),
                    byCategory(step.get(indexOfMark(step, "backward"))), predictEndOfForward(config, batchSize, t, digits),
                    byCategory(optimizerPeak), predictOptimizerStep(config, batchSize, t, digits), max, List.copyOf(step));
        }
    }

    /**
     * Where the event at {@code index} falls: the last phase mark before it and the buffer whose
     * allocation made it (skipping the 4-byte scalars ops allocate for a moment).
     */
    static String where(List<MemoryEvent> events, int index) {
        String phase = "";
        String buffer = null;
        for (int i = index; i >= 0; i--) {
            MemoryEvent e = events.get(i);
            if (buffer == null && e.kind() == MemoryEvent.Kind.ALLOCATE && !"scalar".equals(e.label())) buffer = e.label();
            if (e.kind() == MemoryEvent.Kind.MARK && !e.label().endsWith("done")) {
                phase = e.label();
                break;
            }
        }
        return buffer == null ? phase : phase + ": " + buffer;
    }

    private static boolean isMark(MemoryEvent e, String label) {
        return e.kind() == MemoryEvent.Kind.MARK && label.equals(e.label());
    }

    private static int indexOfMark(List<MemoryEvent> events, String label) {
        for (int i = 0; i < events.size(); i++) if (isMark(events.get(i), label)) return i;
        throw new IllegalStateException("no '" + label + "' mark on the timeline");
    }

    private static Map<Category, Long> byCategory(MemoryEvent e) {
        Map<Category, Long> m = new EnumMap<>(Category.class);
        for (Category c : Category.values()) m.put(c, e.liveByCategory()[c.ordinal()]);
        return m;
    }

    /** The measured and predicted breakdowns as a text table, with the finding in one sentence. */
    public static String table(Result r) {
        GptConfig config = r.config();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("One training step of the GPT (L=%d, C=%d, H=%d, V=%d, %,d parameters), B=%d, T=%d, "
                        + "AdamW, %s backend%n", config.layers(), config.channels(), config.heads(), config.vocabSize(),
                config.parameterCount(), r.batchSize(), r.sequenceLength(), Device.backendName()));
        TextTable t = new TextTable("category", "peak", "predicted", "end of fwd", "predicted", "optimizer", "predicted");
        for (Category c : Category.values()) {
            t.row(c, Bytes.format(r.measuredPeakByCategory().get(c)), Bytes.format(r.predictedPeak().byCategory().get(c)),
                    Bytes.format(r.measuredEndOfForward().get(c)), Bytes.format(r.predictedEndOfForward().get(c)),
                    Bytes.format(r.measuredOptimizerStep().get(c)), Bytes.format(r.predictedOptimizerStep().get(c)));
        }
        t.row("total", Bytes.format(r.measuredPeakBytes()), Bytes.format(r.predictedPeak().bytes()),
                Bytes.format(total(r.measuredEndOfForward())), Bytes.format(total(r.predictedEndOfForward())),
                Bytes.format(total(r.measuredOptimizerStep())), Bytes.format(total(r.predictedOptimizerStep())));
        sb.append(t);
        sb.append(String.format(Locale.ROOT, "Measured peak %s at %s; predicted %s (%+.2f%%) at %s.%n",
                Bytes.format(r.measuredPeakBytes()), r.measuredPeakAt(), Bytes.format(r.predictedPeak().bytes()),
                100 * r.peakError(), r.predictedPeak().at()));
        long endOfForward = total(r.measuredEndOfForward());
        if (r.measuredPeakBytes() > endOfForward) {
            sb.append(String.format("The peak is %s above the end of forward, where activations are largest: "
                            + "backward's gradients of activations and its ops' scratch buffers are alive while most "
                            + "saved activations still are.%n", Bytes.format(r.measuredPeakBytes() - endOfForward)));
        }
        return sb.toString();
    }

    /**
     * The analytic model of the optimizer step's highest moment: every gradient (4P), parameters and
     * moments, the batch (ids and targets; position ids went with backward), the loss scalar,
     * AdamW's workspace (one buffer of the largest parameter). (Its kernels allocate nothing: the
     * decay is BLAS scal, which needs no scalar array.)
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
