package org.memlean.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.assertj.core.data.Offset;
import org.memlean.memory.Category;
import org.memlean.memory.Scope;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import static org.assertj.core.api.Assertions.assertThat;

/** Checks an op's backward against central differences, in DOUBLE. */
final class GradCheck {
    private GradCheck() {}

    static final double EPS = 1e-6;

    /** A DOUBLE leaf of the given shape with values from the framework's seeded generator. */
    static Tensor leaf(long seed, double scale, long... shape) {
        Rng.seed(seed);
        Tensor t = Tensor.zeros(DataType.DOUBLE, Category.PARAMETER, shape);
        Rng.normal(t.array(), scale);
        return t.requiresGrad(true);
    }

    /**
     * Compares d(sum(f(x)·w))/dx from backward with central differences for every element of every
     * input that requires grad; w is a fixed random weighting so that every output element matters.
     */
    static void check(String what, List<Tensor> inputs, Function<List<Tensor>, Tensor> f) {
        INDArray weights;
        try (Scope s = Scope.open()) {
            Tensor out = f.apply(inputs);
            Tensor w = leaf(99, 1, out.shape());
            w.requiresGrad(false);
            weights = w.array().dup();
            w.storage().free();
        }
        List<double[]> analytic = new ArrayList<>();
        try (Scope s = Scope.open()) {
            Tensor loss = weighted(f.apply(inputs), weights);
            loss.backward();
        }
        for (Tensor x : inputs) {
            if (!x.requiresGrad()) {
                analytic.add(null);
                continue;
            }
            assertThat(x.grad()).as(what + ": gradient of an input").isNotNull();
            analytic.add(x.grad().toDoubleArray());
            x.zeroGrad(true);
        }
        for (int k = 0; k < inputs.size(); k++) {
            Tensor x = inputs.get(k);
            if (!x.requiresGrad()) continue;
            INDArray a = x.array();
            double[] expected = analytic.get(k);
            for (int i = 0; i < a.length(); i++) {
                double orig = a.getDouble((long) i);
                a.putScalar(i, orig + EPS);
                double plus = evaluate(f, inputs, weights);
                a.putScalar(i, orig - EPS);
                double minus = evaluate(f, inputs, weights);
                a.putScalar(i, orig);
                double numeric = (plus - minus) / (2 * EPS);
                assertThat(expected[i]).as("%s: d/d input %d element %d", what, k, i)
                        .isCloseTo(numeric, Offset.offset(1e-6 * Math.max(1, Math.abs(numeric))));
            }
        }
        weights.close();
    }

    private static double evaluate(Function<List<Tensor>, Tensor> f, List<Tensor> inputs, INDArray weights) {
        try (Scope s = Scope.open(); GradMode.Guard g = GradMode.noGrad()) {
            return weighted(f.apply(inputs), weights).item();
        }
    }

    private static Tensor weighted(Tensor out, INDArray weights) {
        Tensor w = Tensor.zeros(DataType.DOUBLE, Category.TEMPORARY, out.shape());
        w.array().assign(weights);
        return out.mul(w).sum();
    }

    static void free(List<Tensor> tensors) {
        for (Tensor t : tensors) {
            t.zeroGrad(true);
            t.storage().free();
        }
    }
}
