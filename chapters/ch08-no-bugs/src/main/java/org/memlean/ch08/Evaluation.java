package org.memlean.ch08;

import java.util.List;
import org.memlean.data.Batch;
import org.memlean.data.Examples;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Losses;
import org.memlean.tensor.Tensor;

/**
 * Evaluation without the memory of training: {@code eval()} turns dropout off, {@link GradMode#noGrad()}
 * records no graph — so no op saves anything, and a pass holds only the parameters and what is in
 * flight ({@code GptConfig.inferencePeakBytes}) — and each batch runs in a scope of its own, with its
 * metrics read onto the Java heap before the scope frees the outputs. PyTorch:
 *
 * <pre>
 * model.eval()
 * with torch.no_grad():
 *     for x, y in loader:
 *         logits = model(x)
 *         losses.append(F.cross_entropy(logits, y).item())     # a number, not a tensor
 * </pre>
 */
public final class Evaluation {
    private Evaluation() {}

    /** A batch's metrics, on the heap: its mean loss and the share of answer tokens predicted right. */
    public record Metrics(double loss, double accuracy) {}

    /**
     * One batch's loss and accuracy. Under no-grad unless {@code withGrad} (the mistake this chapter
     * measures: every op then saves its inputs for a backward that never comes, until the outputs die).
     */
    public static Metrics batch(Gpt model, Examples examples, boolean withGrad) {
        boolean wasTraining = model.isTraining();
        model.eval();
        try (Scope scope = Scope.open(); GradMode.Guard guard = withGrad ? null : GradMode.noGrad()) {
            Batch batch = examples.toBatch();
            Tensor logits = model.forward(batch.inputs());                          // (B, T, V)
            long t = logits.size(1);
            long n = batch.targets().size(1);
            Tensor answer = logits.slice(1, t - n, n);                               // (B, N, V)
            double loss = Losses.crossEntropy(answer, batch.targets()).item();
            return new Metrics(loss, accuracy(answer, batch.targets()));
        } finally {
            if (wasTraining) model.train();
        }
    }

    /** The mean metrics over batches, each batch in its own scope. */
    public static Metrics evaluate(Gpt model, List<Examples> batches) {
        double loss = 0;
        double accuracy = 0;
        for (Examples e : batches) {
            Metrics m = batch(model, e, false);
            loss += m.loss();
            accuracy += m.accuracy();
        }
        return new Metrics(loss / batches.size(), accuracy / batches.size());
    }

    /** Share of positions whose largest logit is the target: computed on the heap from (B, N, V) and (B, N). */
    static double accuracy(Tensor answer, Tensor targets) {
        float[] logits = answer.toFloatArray();
        float[] want = targets.toFloatArray();
        int v = (int) answer.size(2);
        int right = 0;
        for (int i = 0; i < want.length; i++) {
            int best = 0;
            for (int k = 1; k < v; k++) if (logits[i * v + k] > logits[i * v + best]) best = k;
            if (best == (int) want[i]) right++;
        }
        return (double) right / want.length;
    }
}
