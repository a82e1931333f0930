package org.memlean.nn;

import org.memlean.tensor.Convolution;
import org.memlean.tensor.Init;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * 2-D convolution, (B, Cin, H, W) → (B, Cout, H', W'), weight (Cout, Cin/groups, k, k). Groups split
 * the channels into independent groups; depthwise is groups = Cin = Cout (k·k weights per channel).
 * Initialised He-normal (std √(2 / fan-in)).
 */
public final class Conv2d extends Layer {
    private final Tensor weight;   // (Cout, Cin/G, k, k)
    private final Tensor bias;     // (Cout) or null
    private final int stride;
    private final int padding;
    private final int groups;

    public Conv2d(long in, long out, int kernel, int stride, int padding, int groups, boolean bias, DataType dataType) {
        if (in < 1 || out < 1 || kernel < 1 || groups < 1 || in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("Conv2d needs positive sizes with in (" + in + ") and out (" + out
                    + ") divisible by groups (" + groups + "), kernel " + kernel);
        }
        long fanIn = in / groups * kernel * kernel;
        this.weight = parameter("weight", Init.normal(dataType, Math.sqrt(2.0 / fanIn), out, in / groups, kernel, kernel));
        this.bias = bias ? parameter("bias", Init.zeros(dataType, out)) : null;
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Convolution.conv2d(x, weight, bias, stride, padding, groups);
    }
}
