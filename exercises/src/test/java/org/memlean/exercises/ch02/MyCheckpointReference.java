package org.memlean.exercises.ch02;

import java.util.List;
import org.memlean.memory.Category;
import org.memlean.memory.Scope;
import org.memlean.nn.Module;
import org.memlean.tensor.Function;
import org.memlean.tensor.GradMode;
import org.memlean.tensor.Rng;
import org.memlean.tensor.Tensor;

/** The graders' own checkpointed segment (so Task 2.2 is graded independently of Task 2.1). */
final class MyCheckpointReference extends Module {
    private final List<Module> parts;

    MyCheckpointReference(List<Module> parts) {
        this.parts = List.copyOf(parts);
        for (int i = 0; i < parts.size(); i++) child(Integer.toString(i), parts.get(i));
    }

    private Tensor run(Tensor x) {
        Tensor h = x;
        for (Module p : parts) {
            Tensor next = p.forward(h);
            if (h != x) h.release();
            h = next;
        }
        return h;
    }

    @Override
    public Tensor forward(Tensor x) {
        long state = Rng.state();
        Tensor out;
        try (GradMode.Guard off = GradMode.noGrad()) {
            out = run(x);
        }
        Again.record(this, state, out, x);
        return out;
    }

    static final class Again extends Function {
        final MyCheckpointReference owner;
        final long state;

        Again(MyCheckpointReference owner, long state) {
            this.owner = owner;
            this.state = state;
        }

        static void record(MyCheckpointReference owner, long state, Tensor out, Tensor x) {
            Again f = new Again(owner, state);
            f.attach(out, x);
            f.save(x);
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            long now = Rng.state();
            Rng.restore(state);
            Tensor gx;
            try (Scope s = Scope.open(); GradMode.Guard on = GradMode.enableGrad()) {
                Tensor in = saved(0).detach().requiresGrad(true);
                owner.run(in).backward(g);
                gx = in.grad();
                gx.storage().recategorize(Category.TEMPORARY);
            } finally {
                Rng.restore(now);
            }
            return new Tensor[] {gx};
        }
    }
}
