package org.memlean.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.memlean.data.Batch;
import org.memlean.data.ReversalTask;
import org.memlean.memory.Category;
import org.memlean.memory.Device;
import org.memlean.memory.DeviceBudget;
import org.memlean.memory.DeviceOutOfMemoryException;
import org.memlean.memory.MemoryMeter;
import org.memlean.memory.Scope;
import org.memlean.nn.Gpt;
import org.memlean.nn.GptConfig;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;
import org.nd4j.linalg.api.buffer.DataType;

/** Optimizer state of any shape and dtype, exact in the ledger; all-or-nothing steps; close frees. */
class OptimizerStateTest {
    /**
     * An optimizer that keeps what the lean optimizers keep — row and column factors for matrices,
     * 8-bit codes with one FLOAT scale per block of 64, a bf16 compensation buffer — and updates nothing.
     */
    static final class Keeper extends Optimizer {
        Keeper(List<Tensor> parameters) {
            super(parameters);
        }

        @Override
        protected void initState(Tensor p) {
            if (p.rank() == 2) {
                addState(p, "row", DataType.FLOAT, p.size(0));
                addState(p, "col", DataType.FLOAT, p.size(1));
            }
            addState(p, "codes", DataType.INT8, p.shape());
            addState(p, "scales", DataType.FLOAT, (p.length() + 63) / 64);
            addState(p, "compensation", DataType.BFLOAT16, p.shape());
        }

        @Override
        protected void update(Tensor p, Tensor g, Workspace workspace) {}

        static long expectedBytes(List<Tensor> parameters) {
            long bytes = 0;
            for (Tensor p : parameters) {
                if (p.rank() == 2) bytes += 4 * (p.size(0) + p.size(1));
                bytes += p.length() + 4 * ((p.length() + 63) / 64) + 2 * p.length();
            }
            return bytes;
        }
    }

    private static void gradients(Gpt model) {
        try (Scope s = Scope.open()) {
            Batch b = new ReversalTask(4, 1).next(4);
            model.loss(b.inputs(), b.targets()).backward();
        }
    }

    @Test
    void stateOfAnyShapeAndDtypeIsExactInTheLedgerAndCloseFreesIt() {
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("state"); Gpt model = new Gpt(GptConfig.defaults())) {
            Keeper keeper = new Keeper(model.parameters());
            gradients(model);
            keeper.step();
            long expected = Keeper.expectedBytes(model.parameters());
            assertThat(keeper.stateBytes()).isEqualTo(expected);
            assertThat(meter.liveBytes(Category.OPTIMIZER_STATE)).isEqualTo(expected);
            assertThat(meter.liveBytes()).isEqualTo(meter.backendLiveBytes());
            Tensor w = model.namedParameters().get("blocks.0.attn.qkv.weight");
            assertThat(keeper.stateOf(w).keySet()).containsExactly("row", "col", "codes", "scales", "compensation");
            assertThat(keeper.stateOf(w).get("codes").dtype()).isEqualTo(DataType.INT8);
            keeper.close();
            assertThat(meter.liveBytes(Category.OPTIMIZER_STATE)).isZero();
            assertThat(meter.backendLiveBytes()).isEqualTo(meter.liveBytes());
            assertThatThrownBy(keeper::step).hasMessageContaining("was closed");
            model.parameters().forEach(p -> p.zeroGrad(true));
        }
    }

    @Test
    void aStepThatRunsOutOfMemoryChangesNothingAndLeavesNothingBehind() {
        Rng.seed(5);
        Device.settle();
        try (MemoryMeter meter = MemoryMeter.start("atomic"); Gpt model = new Gpt(GptConfig.defaults())) {
            AdamW adam = new AdamW(model.parameters(), 1e-2);
            gradients(model);
            List<float[]> before = new ArrayList<>();
            for (Tensor p : model.parameters()) before.add(p.toFloatArray());
            long live = meter.liveBytes();
            long p = GptConfig.defaults().parameterCount();
            // room for about half of AdamW's 8 bytes a parameter: the state of the later parameters does not fit
            for (long room : new long[] {4 * p, 8 * p}) {   // 8p: all the state fits, its workspace does not
                try (DeviceBudget gpu = DeviceBudget.of(live + room)) {
                    assertThatThrownBy(adam::step).isInstanceOf(DeviceOutOfMemoryException.class);
                }
                assertThat(adam.stateBytes()).as("room %d: no state kept", room).isZero();
                assertThat(adam.steps()).isZero();
                assertThat(meter.liveBytes()).isEqualTo(live).isEqualTo(meter.backendLiveBytes());
                for (int i = 0; i < before.size(); i++) {
                    assertThat(model.parameters().get(i).toFloatArray()).as("parameter %d unchanged", i)
                            .isEqualTo(before.get(i));
                }
            }
            adam.step();   // with room it steps
            assertThat(adam.steps()).isEqualTo(1);
            assertThat(adam.stateBytes()).isEqualTo(8 * p);
            assertThat(model.parameters().get(0).toFloatArray()).isNotEqualTo(before.get(0));
            adam.close();
            model.parameters().forEach(t -> t.zeroGrad(true));
        }
    }

    @Test
    void aParameterListedTwiceIsUpdatedOnce() {
        Tensor p = Tensor.of(new float[] {1f}, DataType.FLOAT, Category.PARAMETER, 1).requiresGrad(true);
        try (Scope s = Scope.open()) {
            p.mul(Tensor.of(new float[] {2f}, 1)).sum().backward();
        }
        Sgd sgd = new Sgd(List.of(p, p), 0.5, 0, 0);
        assertThat(sgd.parameters()).hasSize(1);
        sgd.step();
        assertThat(p.toFloatArray()[0]).isEqualTo(0f);   // 1 − 0.5·2, once
        sgd.close();
        p.zeroGrad(true);
        p.storage().free();
    }
}
