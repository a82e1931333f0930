package org.memlean.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.memlean.tensor.Tensor;

/**
 * A layer or model: named parameters, named buffers, named child layers (PyTorch calls them modules), a training/evaluation
 * mode. Parameters and buffers are PARAMETER memory, kept until {@link #close()}.
 *
 * <p>Two rules make model transforms safe:
 * <ul>
 *   <li>A composite reaches its parts through {@link #part(String)} at every forward, never through
 *       fields, so {@link #replaceChild} really changes what runs (LoRA, ZeRO-3 and checkpointing
 *       wrap parts of an unchanged model this way).</li>
 *   <li>A tensor registered at several places — one block applied at L positions, as ALBERT shares
 *       its layers — is one parameter: the named views return each tensor once, under the first
 *       name it is reached by (PyTorch's {@code named_parameters(remove_duplicate=True)}), so the
 *       count, the optimizer, parameter files and {@link #close()} all see it once.</li>
 * </ul>
 */
public abstract class Layer implements UnaryOperator<Tensor>, AutoCloseable {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Layer> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Computes the layer's output. Shapes are documented on each layer. */
    public abstract Tensor forward(Tensor input);

    /** {@link #forward}: a layer is a function of a tensor, so {@code x.then(layer)} runs it on x. */
    @Override
    public final Tensor apply(Tensor input) {
        return forward(input);
    }

    /** Registers a parameter under {@code name}; returns it. */
    protected final Tensor parameter(String name, Tensor tensor) {
        checkFree(name);
        parameters.put(name, tensor.named(name));
        return tensor;
    }

    /**
     * Registers a buffer: state the model keeps and saves but does not train (batch norm's running
     * statistics). PARAMETER memory; not in {@link #parameters()} or the parameter count.
     */
    protected final Tensor buffer(String name, Tensor tensor) {
        checkFree(name);
        buffers.put(name, tensor.named(name));
        return tensor;
    }

    /** Registers a child layer under {@code name}; returns it. */
    protected final <M extends Layer> M child(String name, M layer) {
        checkFree(name);
        if (layer == null) throw new IllegalArgumentException("child '" + name + "' is null");
        children.put(name, layer);
        return layer;
    }

    private void checkFree(String name) {
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("a parameter, buffer or child named '" + name + "' already exists in "
                    + getClass().getSimpleName());
        }
    }

    /**
     * Replaces a registered child — how a technique wraps part of an unchanged model — and returns
     * the child it replaced (close it if nothing else uses it).
     */
    public final Layer replaceChild(String name, Layer layer) {
        if (!children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no child named '" + name
                    + "'; its children are " + children.keySet());
        }
        if (layer == null) throw new IllegalArgumentException("cannot replace child '" + name + "' with null");
        return children.put(name, layer);
    }

    /** The child registered under {@code name}, looked up now: what a composite's forward calls. */
    protected final Layer part(String name) {
        Layer m = children.get(name);
        if (m == null) {
            throw new IllegalStateException(getClass().getSimpleName() + " has no child named '" + name
                    + "'; its children are " + children.keySet());
        }
        return m;
    }

    /** Direct children by name. */
    public final Map<String, Layer> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Every parameter of this layer and its descendants, each once, by dotted name ("blocks.0.attn.qkv.weight"). */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        collect("", all, identitySet(), false);
        return all;
    }

    /** Every buffer of this layer and its descendants, each once, by dotted name. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        collect("", all, identitySet(), true);
        return all;
    }

    /** Parameters then buffers, each once: everything a parameter file holds. */
    public final Map<String, Tensor> namedState() {
        Map<String, Tensor> all = namedParameters();
        Set<Tensor> seen = identitySet();
        seen.addAll(all.values());
        collect("", all, seen, true);
        return all;
    }

    private static Set<Tensor> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    private void collect(String prefix, Map<String, Tensor> into, Set<Tensor> seen, boolean wantBuffers) {
        (wantBuffers ? buffers : parameters).forEach((n, t) -> {
            if (seen.add(t)) into.put(prefix + n, t);
        });
        children.forEach((n, m) -> m.collect(prefix + n + ".", into, seen, wantBuffers));
    }

    /** The parameters that require grad (what an optimizer updates), each once. */
    public final List<Tensor> parameters() {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : namedParameters().values()) if (t.requiresGrad()) out.add(t);
        return out;
    }

    /** Number of parameter elements, each shared parameter once (frozen ones included, buffers not). */
    public final long parameterCount() {
        long n = 0;
        for (Tensor t : namedParameters().values()) n += t.length();
        return n;
    }

    /** Number of elements of the parameters that require grad. */
    public final long trainableParameterCount() {
        long n = 0;
        for (Tensor t : parameters()) n += t.length();
        return n;
    }

    /** Training mode (dropout active, batch norm on batch statistics), for this layer and all below. */
    public Layer train() {
        setTraining(true);
        return this;
    }

    /** Evaluation mode (dropout off, batch norm on running statistics), for this layer and all below. */
    public Layer eval() {
        setTraining(false);
        return this;
    }

    private void setTraining(boolean on) {
        training = on;
        for (Layer m : children.values()) m.setTraining(on);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Frees every parameter, gradient and buffer of this layer and its descendants (each once). */
    @Override
    public void close() {
        for (Tensor t : namedState().values()) {
            t.zeroGrad(true);
            if (t.hasStorage()) t.storage().free();
        }
    }
}
