package org.memlean.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.memlean.memory.Category;
import org.memlean.memory.MemoryMeter;

/**
 * Reverse-mode differentiation over the recorded Functions.
 *
 * <p>Backward visits the graph in reverse topological order. Each node's backward runs with grad
 * mode off; right after it, the node's saved tensors and its output's gradient are released, so
 * activation memory drains as backward walks down the network (PyTorch frees the same way). Leaf
 * gradients accumulate in place ({@code addi}) in GRADIENT memory that outlives the step.
 */
final class Autograd {
    private Autograd() {}

    /** Whether an op on these inputs must record an AutogradFunction. */
    static boolean needsGrad(Tensor... inputs) {
        if (!GradMode.isEnabled()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
        return false;
    }

    static void backward(Tensor root, Tensor seed) {
        checkBackwardCanRun(root, seed);
        MemoryMeter.current().mark("backward");
        Map<Tensor, Tensor> gradOf = new IdentityHashMap<>();      // each node's gradient, summed over its uses
        try (GradMode.Guard ignored = GradMode.noGrad()) {
            Tensor start = seed != null ? seed.cast(root.dtype()) : Creation.onesLike(root);   // d(root)/d(root)
            if (root.isLeaf()) {
                accumulateLeaf(root, start);
                root.runGradHooks();
                return;
            }
            gradOf.put(root, start);
            List<Tensor> order = reverseTopologicalOrder(root);
            LeafHooks hooks = LeafHooks.of(order);
            // micrograd's loop: every node, once all the nodes that use it are done, hands its gradient to its inputs
            for (Tensor node : order) {
                AutogradFunction fn = node.creator();
                Tensor gradOutput = gradOf.remove(node);
                Tensor[] gradInputs = gradOutput == null ? new Tensor[0] : fn.backward(gradOutput);
                fn.releaseSaved();                                   // its activations go as soon as it is done
                if (gradOutput != null) {
                    gradOutput.release();
                    node.clearCreator();
                }
                Tensor[] inputs = fn.inputs();
                for (int i = 0; i < inputs.length; i++) {
                    route(fn, i, i < gradInputs.length ? gradInputs[i] : null, gradOf);
                    hooks.edgeDone(inputs[i]);
                }
            }
        } finally {
            for (Tensor left : gradOf.values()) left.release();
        }
        MemoryMeter.current().mark("backward done");
    }

    /**
     * Sends input {@code i}'s gradient {@code g} where it belongs: into a leaf's {@code grad}, added to
     * a node's gradient so far, or — for an input that needs none — dropped. A gradient has its
     * input's dtype (an op may compute it wider).
     */
    private static void route(AutogradFunction fn, int i, Tensor g, Map<Tensor, Tensor> gradOf) {
        if (g == null) return;
        Tensor input = fn.inputs()[i];
        if (input == null || !input.requiresGrad()) {
            g.release();
            return;
        }
        if (g.dtype() != fn.inputType(i)) g = Casts.castAndRelease(g, fn.inputType(i));
        if (input.isLeaf()) {
            accumulateLeaf(input, g);
            return;
        }
        Tensor sofar = gradOf.get(input);
        if (sofar == null) {
            gradOf.put(input, g);
        } else {
            Kernels.add(sofar.array(), g.array(), sofar.array());
            g.release();
        }
    }

    private static void checkBackwardCanRun(Tensor root, Tensor seed) {
        if (root.graphReleased()) {
            throw new IllegalStateException("backward through the graph of " + root.describe() + " a second time: "
                    + "the first backward released its saved tensors. Compute the loss again for another backward");
        }
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward() on a tensor that does not require grad (" + root.describe()
                    + "): no parameter it depends on requires a gradient, or it was computed under no-grad");
        }
        if (seed == null && root.length() != 1) {
            throw new IllegalArgumentException("backward() without a gradient needs a scalar, got "
                    + Arrays.toString(root.shape()) + "; pass the gradient of the loss with respect to it");
        }
        if (seed != null && !Arrays.equals(seed.shape(), root.shape())) {
            throw new IllegalArgumentException("gradient of shape " + Arrays.toString(seed.shape())
                    + " given for a tensor of shape " + Arrays.toString(root.shape()));
        }
    }

    /**
     * Post-accumulate-grad hooks (ZeRO-2 frees a gradient as soon as it is complete): for each leaf
     * with a hook, how many graph edges still lead to it; after its last, the hooks run.
     */
    private static final class LeafHooks {
        private final Map<Tensor, int[]> edgesLeft = new IdentityHashMap<>();

        static LeafHooks of(List<Tensor> order) {
            LeafHooks h = new LeafHooks();
            for (Tensor node : order) {
                for (Tensor in : node.creator().inputs()) {
                    if (in != null && in.isLeaf() && in.hasGradHooks()) h.edgesLeft.computeIfAbsent(in, k -> new int[1])[0]++;
                }
            }
            return h;
        }

        void edgeDone(Tensor input) {
            if (input == null || edgesLeft.isEmpty()) return;
            int[] left = edgesLeft.get(input);
            if (left == null) return;
            if (--left[0] == 0) {
                edgesLeft.remove(input);
                if (input.grad() != null) input.runGradHooks();
            }
        }
    }

    /**
     * Adds {@code g} into {@code leaf.grad()}. The first gradient is adopted as the leaf's GRADIENT
     * buffer when nothing else holds it (no copy, as PyTorch does); later ones are added in place.
     */
    static void accumulateLeaf(Tensor leaf, Tensor g) {
        Tensor grad = leaf.grad();
        if (grad == null) {
            boolean adoptable = g.dtype() == leaf.dtype() && Arrays.equals(g.shape(), leaf.shape())
                    && g.isWholeStorageSoleHandle();
            if (adoptable) {
                g.storage().recategorize(Category.GRADIENT);
                leaf.setGradInternal(g);
                return;
            }
            grad = Tensor.zeros(leaf.dtype(), Category.GRADIENT, leaf.shape());
            leaf.setGradInternal(grad);
        }
        if (g.dtype() == grad.dtype()) {
            Kernels.add(grad.array(), g.array(), grad.array());
        } else {
            try (GradMode.Guard ignored = GradMode.noGrad()) {
                Tensor cast = g.cast(grad.dtype());
                Kernels.add(grad.array(), cast.array(), grad.array());
                cast.release();
            }
        }
        grad.storage().bumpVersion();
        g.release();
    }

    /** Non-leaf tensors reachable from {@code root}, each after every tensor that depends on it. */
    static List<Tensor> reverseTopologicalOrder(Tensor root) {
        List<Tensor> postOrder = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (int) frame[1];
            Tensor[] inputs = t.creator().inputs();
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.creator() != null && visited.add(in)) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                postOrder.add(t);
            }
        }
        Collections.reverse(postOrder);
        return postOrder;
    }
}
