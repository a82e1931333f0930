package org.memlean.nn;

import org.memlean.memory.Category;
import org.memlean.tensor.Creation;
import org.memlean.tensor.Init;
import org.memlean.tensor.Normalization;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Batch normalisation per channel of (B, C, H, W): batch statistics in training (and the running
 * statistics updated), running statistics in evaluation. Parameters gamma, beta (C); buffers
 * runningMean, runningVar (C) — kept and saved, not trained, not counted as parameters.
 */
public final class BatchNorm2d extends Layer {
    private final Tensor gamma;
    private final Tensor beta;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final double momentum = 0.1;
    private final double eps = 1e-5;

    public BatchNorm2d(long channels, DataType dataType) {
        this.gamma = parameter("gamma", Init.ones(dataType, channels));
        this.beta = parameter("beta", Init.zeros(dataType, channels));
        this.runningMean = buffer("runningMean", Tensor.zeros(DataType.FLOAT, Category.PARAMETER, channels));
        this.runningVar = buffer("runningVar", Creation.full(DataType.FLOAT, 1, Category.PARAMETER, channels));
    }

    @Override
    public Tensor forward(Tensor x) {
        return Normalization.batchNorm2d(x, gamma, beta, runningMean, runningVar, momentum, eps, isTraining());
    }
}
