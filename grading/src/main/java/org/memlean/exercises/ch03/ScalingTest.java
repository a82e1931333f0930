package org.memlean.exercises.ch03;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.grading.Task;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.tensor.Autocast;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Graded: the update rule against GradScaler's behaviour; unscale-and-check on real autocast gradients. */
class ScalingTest {
    @Test
    @Tag("task03_1")
    @Task(id = "task03_1", points = 10, title = "the loss scaler's update rule")
    void theScalerBacksOffOnOverflowAndGrowsAfterItsInterval() {
        Scaling.State s = new Scaling.State(65536, 0);
        for (int i = 0; i < 1999; i++) s = Scaling.update(s, false, 2, 0.5, 2000);
        assertThat(s.scale()).isEqualTo(65536);
        s = Scaling.update(s, false, 2, 0.5, 2000);
        assertThat(s).isEqualTo(new Scaling.State(131072, 0));
        s = Scaling.update(s, false, 2, 0.5, 2000);
        s = Scaling.update(s, true, 2, 0.5, 2000);
        assertThat(s).isEqualTo(new Scaling.State(65536, 0));
        s = Scaling.update(new Scaling.State(8, 2), true, 2, 0.25, 3);
        assertThat(s).isEqualTo(new Scaling.State(2, 0));
    }

    private static List<float[]> gradients(Gpt model) {
        List<float[]> out = new ArrayList<>();
        for (Tensor p : model.parameters()) out.add(p.grad().toFloatArray());
        return out;
    }

    @Test
    @Tag("task03_2")
    @Task(id = "task03_2", points = 20, title = "unscale the gradients and check for inf/NaN")
    void unscaledAutocastGradientsMatchAndAnInfIsFound() {
        double scale = 65536;
        List<float[]> reference;
        List<float[]> unscaled;
        boolean overflow;
        Rng.seed(2);
        try (Gpt model = new Gpt(GptConfig.defaults())) {
            try (Scope s = Scope.open()) {
                Batch b = new ReversalTask(4, 1).next(8);
                Tensor loss;
                try (GradMode.Guard g = Autocast.enable(DataType.HALF)) {
                    loss = model.loss(b.inputs(), b.targets());
                }
                loss.backward();
            }
            reference = gradients(model);
            model.parameters().forEach(p -> p.zeroGrad(true));
            try (Scope s = Scope.open()) {
                Batch b = new ReversalTask(4, 1).next(8);
                Tensor loss;
                try (GradMode.Guard g = Autocast.enable(DataType.HALF)) {
                    loss = model.loss(b.inputs(), b.targets());
                }
                loss.mul(scale).backward();
            }
            overflow = Scaling.unscaleAndCheck(model.parameters(), scale);
            unscaled = gradients(model);
            assertThat(overflow).isFalse();
            for (int i = 0; i < reference.size(); i++) {
                float[] r = reference.get(i);
                float[] u = unscaled.get(i);
                double max = 1e-12;
                for (float v : r) max = Math.max(max, Math.abs(v));
                for (int k = 0; k < r.length; k++) {
                    assertThat(Math.abs(r[k] - u[k]) / max).as("parameter %d[%d]", i, k).isLessThan(2e-3);
                }
            }
            // an inf anywhere must be found
            model.parameters().get(7).grad().array().putScalar(3, Float.POSITIVE_INFINITY);
            assertThat(Scaling.unscaleAndCheck(model.parameters(), 1.0)).isTrue();
            model.parameters().get(7).grad().array().putScalar(3, Float.NaN);
            assertThat(Scaling.unscaleAndCheck(model.parameters(), 2.0)).isTrue();
            model.parameters().forEach(p -> p.zeroGrad(true));
        }
    }
}
