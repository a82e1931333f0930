package org.memlean.tensor;

/**
 * Hooks into backward for techniques that must act at a point of it (FSDP's and ZeRO-3's
 * "pre-backward" hooks).
 */
public final class Hooks {
    private Hooks() {}

    /**
     * {@code x} unchanged (a new handle on the same memory), but {@code action} runs when backward
     * reaches it — after every op that used it has had its backward, before the ops that made it
     * have theirs. ZeRO-3 gathers a layer's parameters there, just before the layer's backward needs
     * them. Without a graph (no-grad, or nothing requires grad) the action never runs.
     */
    public static Tensor beforeBackward(Tensor x, Runnable action) {
        Tensor out = x.view(x.array());
        if (Autograd.needsGrad(x)) new BeforeBackward(action).attach(out, x);
        return out;
    }

    static final class BeforeBackward extends AutogradFunction {
        private final Runnable action;

        BeforeBackward(Runnable action) {
            this.action = action;
        }

        @Override
        public String name() {
            return "BeforeBackward";
        }

        @Override
        protected Tensor[] backward(Tensor g) {
            action.run();
            return new Tensor[] {g.view(g.array())};
        }
    }
}
