package org.memlean.exercises.ch05;

import java.util.List;
import org.memlean.optim.Optimizer;
import org.memlean.tensor.Tensor;

/**
 * Task 5.1: Adafactor's idea in an optimizer of your own — RMSprop whose second moment of a matrix is
 * kept <em>factored</em>. Per parameter p with gradient g, at every step:
 * <pre>
 *   G = g²                                       (element by element)
 *   a matrix (r × c):  R ← β2·R + (1 − β2)·rowsum(G)   (r values, state "row")
 *                      C ← β2·C + (1 − β2)·colsum(G)   (c values, state "col")
 *                      V̂ = R·Cᵀ / ΣR                  (r × c, never stored)
 *   anything else:     V ← β2·V + (1 − β2)·G           (state "v", p's shape)
 *                      V̂ = V
 *   p ← p − lr · g / (√V̂ + ε)
 * </pre>
 * State: FLOAT, created at a parameter's first step. Graded on the state's bytes (the meter: r + c
 * floats a matrix) and on the parameters after a few steps against a double-precision reference.
 *
 * <p>Hints: the framework's {@code Optimizer} (chapter 5's notebook shows one) creates state in
 * {@code initState} and asks for the scratch an update needs in {@code scratch}; {@code Kernels}
 * has the array operations (sum over an axis, an outer product by broadcasting a (r, 1) against a
 * (1, c), square root…). Where must V̂ live, since it is never stored?
 */
public final class FactoredRms extends Optimizer {
    public FactoredRms(List<Tensor> parameters, double lr, double beta2, double eps) {
        super(parameters);
        throw new UnsupportedOperationException("Task 5.1: the factored second moment — not implemented yet. Hint: "
                + "row and column sums of g², and the rank-one estimate");
    }

    @Override
    protected void update(Tensor p, Tensor g, Workspace workspace) {
        throw new UnsupportedOperationException("Task 5.1: the update — not implemented yet");
    }
}
