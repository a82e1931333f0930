package org.memlean.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.memlean.memory.Category;
import org.memlean.memory.Scope;
import org.nd4j.linalg.api.buffer.DataType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The two hooks ZeRO needs: after a leaf's last gradient, and before a tensor's producers run backward. */
class HooksTest {
    private static Tensor leaf(float... values) {
        return Tensor.of(values, DataType.FLOAT, Category.PARAMETER, values.length).requiresGrad(true);
    }

    @Test
    void aPostAccumulateHookRunsOncePerBackwardAfterTheLastOfSeveralContributions() {
        Tensor w = leaf(1, 2);
        Tensor u = leaf(3, 4);
        List<String> events = new ArrayList<>();
        w.registerPostAccumulateGradHook(t -> events.add("w " + Arrays.toString(t.grad().toFloatArray())));
        try (Scope s = Scope.open()) {
            Tensor a = w.mul(u);                      // w used twice: its gradient has two contributions
            Tensor b = w.mul(3.0);
            Tensor loss = a.add(b).sum();
            loss.backward();
        }
        // one call, with the complete gradient u + 3
        assertThat(events).containsExactly("w [6.0, 7.0]");
        w.storage().free();
        w.zeroGrad(true);
        u.zeroGrad(true);
        u.storage().free();
    }

    @Test
    void aHookCanFreeTheGradientAndTheRemoverStopsIt() {
        Tensor w = leaf(1, 2, 3);
        int[] calls = new int[1];
        Runnable remove = w.registerPostAccumulateGradHook(t -> {
            calls[0]++;
            t.zeroGrad(true);                          // ZeRO-2: reduced elsewhere, freed here
        });
        try (Scope s = Scope.open()) {
            w.mul(2.0).sum().backward();
        }
        assertThat(calls[0]).isEqualTo(1);
        assertThat(w.grad()).isNull();
        remove.run();
        try (Scope s = Scope.open()) {
            w.mul(2.0).sum().backward();
        }
        assertThat(calls[0]).isEqualTo(1);
        assertThat(w.grad().toFloatArray()).containsExactly(2, 2, 2);
        w.zeroGrad(true);
        w.storage().free();
    }

    @Test
    void aHookNeedsALeafThatRequiresGrad() {
        Tensor frozen = Tensor.of(new float[] {1}, DataType.FLOAT, Category.PARAMETER, 1);
        assertThatThrownBy(() -> frozen.registerPostAccumulateGradHook(t -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("does not require grad");
        frozen.storage().free();
    }

    @Test
    void beforeBackwardRunsAfterTheUsersAndBeforeTheProducerAndPassesTheGradientThrough() {
        Tensor w = leaf(1, 2);
        List<String> order = new ArrayList<>();
        w.registerPostAccumulateGradHook(t -> order.add("w's gradient"));
        try (Scope s = Scope.open()) {
            Tensor h = w.mul(2.0);                               // the producer
            Tensor hooked = Hooks.beforeBackward(h, () -> order.add("before h's producer"));
            Tensor loss = hooked.mul(hooked).sum();              // two users: d/dh = 2h
            loss.backward();
        }
        assertThat(order).containsExactly("before h's producer", "w's gradient");
        assertThat(w.grad().toFloatArray()).containsExactly(8, 16);    // 2·(2w)·2
        w.zeroGrad(true);
        w.storage().free();
    }

    @Test
    void withoutAGraphTheBeforeBackwardActionNeverRuns() {
        Tensor w = leaf(1);
        int[] calls = new int[1];
        try (Scope s = Scope.open(); GradMode.Guard g = GradMode.noGrad()) {
            Tensor out = Hooks.beforeBackward(w.mul(2.0), () -> calls[0]++);
            assertThat(out.requiresGrad()).isFalse();
            assertThat(out.toFloatArray()).containsExactly(2);
        }
        assertThat(calls[0]).isZero();
        w.storage().free();
    }
}
