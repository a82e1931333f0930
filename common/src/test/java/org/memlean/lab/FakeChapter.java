package org.memlean.lab;

import java.util.List;
import java.util.Map;
import org.memlean.data.ReversalTask;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.optim.AdamW;
import org.memlean.optim.Optimizer;
import org.memlean.optim.Sgd;
import org.memlean.tensor.Rng;

/**
 * A chapter that exists only in the tests (number 99): AdamW as the baseline, SGD with momentum and
 * plain SGD as two more arms (plain SGD the headline), so that the command line's run, JSON and tour
 * paths are exercised for real, with more than two arms.
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
        long p = GptConfig.defaults().parameterCount();
        return Experiment.report(this, size, List.of(arm("AdamW", 0), arm("SGD with momentum", 1), arm("SGD", 2)), steps, 2,
                Map.of("adamStateBytes", 8 * p, "sgdStateBytes", 0L));
    }

    private static Experiment.Arm arm(String name, int kind) {
        return Experiment.arm(name, () -> {
            Rng.seed(1);
            ReversalTask task = new ReversalTask(4, 3);
            Gpt model = new Gpt(GptConfig.defaults());
            Optimizer optimizer = switch (kind) {
                case 0 -> new AdamW(model.parameters(), 1e-3);
                case 1 -> new Sgd(model.parameters(), 0.1, 0.9, 0);
                default -> new Sgd(model.parameters(), 0.1, 0, 0);
            };
            return Experiment.Session.of(i -> Training.step(model, optimizer, task, 8), optimizer, model);
        });
    }
}
