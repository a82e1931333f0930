package org.memlean.lab;

import org.memlean.data.ReversalTask;
import org.memlean.memory.Category;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.optim.Sgd;
import org.memlean.tensor.Rng;

/**
 * A chapter that exists only in the tests (number 99): AdamW as the baseline, plain SGD as the
 * "technique", so that the command line's run, JSON and tour paths are exercised for real.
 */
public final class FakeChapter implements Chapter {
    @Override
    public int number() {
        return 99;
    }

    @Override
    public String title() {
        return "Test chapter（测试）";
    }

    @Override
    public String technique() {
        return "SGD instead of AdamW";
    }

    @Override
    public Report run(Size size) {
        int steps = size == Size.QUICK ? 2 : 4;
        Measurement adam = Experiment.measure("AdamW", () -> train(steps, true));
        Measurement sgd = Experiment.measure("SGD", () -> train(steps, false));
        long p = GptConfig.defaults().parameterCount();
        return new Report(number(), title(), technique(), adam, sgd,
                java.util.Map.of("adamStateBytes", 8 * p, "sgdStateBytes", 0L));
    }

    private static Experiment.Outcome train(int steps, boolean adam) {
        Rng.seed(1);
        ReversalTask task = new ReversalTask(4, 3);
        try (Gpt model = new Gpt(GptConfig.defaults())) {
            var optimizer = adam ? new AdamW(model.parameters(), 1e-3) : new Sgd(model.parameters(), 0.1, 0, 0);
            Experiment.Outcome outcome = Experiment.timed(steps, i -> Training.step(model, optimizer, task, 8));
            optimizer.close();
            return outcome;
        }
    }

    @SuppressWarnings("unused")
    private static void unused(Scope s, Category c) {}
}
