package org.memlean.scratch;
import org.junit.jupiter.api.Test;
import org.memlean.tensor.*;
import org.memlean.memory.*;
import org.nd4j.linalg.api.buffer.DataType;
class DebugTest {
  @Test void debug() {
    Tensor x = Tensor.of(new float[]{1,2,3,4,5,6}, DataType.DOUBLE, Category.PARAMETER, 2, 3).requiresGrad(true);
    Tensor f = Creation.full(DataType.DOUBLE, 1.5, 2, 3);
    System.out.println("full " + f.array());
    Tensor y = x.mul(2.0);
    System.out.println("y " + y.array());
    Tensor s = y.sum();
    System.out.println("s " + s.array());
    s.backward();
    System.out.println("grad " + x.grad().array() + " " + java.util.Arrays.toString(x.grad().toDoubleArray()));
  }
}
