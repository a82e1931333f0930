package org.memlean.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The BLAS level-1 paths of {@link Kernels}: the same bits as libnd4j's ops, and only where they apply. */
class KernelsTest {
    private static INDArray values(long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(DataType.FLOAT, shape).subi(0.5).muli(1000);
    }

    @Test
    void inPlaceAddAndSubtractByAxpyGiveTheOpsBits() {
        INDArray a = values(1, 6, 7);
        INDArray b = values(2, 6, 7);
        INDArray sum = Nd4j.create(DataType.FLOAT, 6, 7);
        INDArray difference = Nd4j.create(DataType.FLOAT, 6, 7);
        Kernels.pairwise("add", a, b, sum);                 // libnd4j's op
        Kernels.pairwise("subtract", a, b, difference);
        INDArray x = a.dup();
        Kernels.add(x, b, x);                               // in place: BLAS axpy
        assertThat(x.data().asFloat()).containsExactly(sum.data().asFloat());
        INDArray y = a.dup();
        Kernels.sub(y, b, y);
        assertThat(y.data().asFloat()).containsExactly(difference.data().asFloat());
        INDArray z = b.dup();
        Kernels.add(a, z, z);                               // in place into the second operand
        assertThat(z.data().asFloat()).containsExactly(sum.data().asFloat());
    }

    @Test
    void aTransposedViewTakesTheOpAndIsStillRight() {
        INDArray a = values(3, 5, 4);
        INDArray t = values(4, 4, 5).transpose();       // (5, 4), column-major: not one row-major run
        assertThat(Kernels.blasPair(t, a)).isFalse();
        INDArray expected = a.add(t);
        Kernels.add(a, t, a);
        assertThat(a.dup().data().asFloat()).containsExactly(expected.dup().data().asFloat());
    }

    @Test
    void axpyRefusesArraysBlasCannotPairNamingThem() {
        INDArray x = values(5, 3, 4);
        assertThatThrownBy(() -> Kernels.axpy(1, x, values(6, 4, 3))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("FLOAT[3, 4]").hasMessageContaining("FLOAT[4, 3]");
        assertThatThrownBy(() -> Kernels.axpy(1, x, x.castTo(DataType.HALF))).hasMessageContaining("HALF[3, 4]");
    }
}
