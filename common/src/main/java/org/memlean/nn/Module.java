package org.memlean.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.memlean.tensor.Tensor;

/**
 * A layer or model: named parameters, named child modules, a training/evaluation mode.
 * Parameters are PARAMETER memory, kept until {@link #close()}.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Computes the module's output. Shapes are documented on each module. */
    public abstract Tensor forward(Tensor input);

    /** Registers a parameter under {@code name}; returns it. */
    protected final Tensor parameter(String name, Tensor tensor) {
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("a parameter or child named '" + name + "' already exists");
        }
        parameters.put(name, tensor.named(name));
        return tensor;
    }

    /** Registers a child module under {@code name}; returns it. */
    protected final <M extends Module> M child(String name, M module) {
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("a parameter or child named '" + name + "' already exists");
        }
        children.put(name, module);
        return module;
    }

    /** Replaces a registered child (how a technique wraps part of an unchanged model). */
    public final <M extends Module> M replaceChild(String name, M module) {
        if (!children.containsKey(name)) throw new IllegalArgumentException("no child named '" + name + "'");
        children.put(name, module);
        return module;
    }

    /** Direct children by name. */
    public final Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    /** Every parameter of this module and its descendants, by dotted name ("blocks.0.attn.qkv.weight"). */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        collect("", all);
        return all;
    }

    private void collect(String prefix, Map<String, Tensor> into) {
        parameters.forEach((n, t) -> into.put(prefix + n, t));
        children.forEach((n, m) -> m.collect(prefix + n + ".", into));
    }

    /** The parameters that require grad (what an optimizer updates). */
    public final List<Tensor> parameters() {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : namedParameters().values()) if (t.requiresGrad()) out.add(t);
        return out;
    }

    /** Number of parameter elements (frozen ones included). */
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

    /** Training mode (dropout active), for this module and all below. */
    public Module train() {
        setTraining(true);
        return this;
    }

    /** Evaluation mode (dropout off), for this module and all below. */
    public Module eval() {
        setTraining(false);
        return this;
    }

    private void setTraining(boolean on) {
        training = on;
        for (Module m : children.values()) m.setTraining(on);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Frees every parameter and gradient of this module and its descendants. */
    @Override
    public void close() {
        for (Tensor t : namedParameters().values()) {
            t.zeroGrad(true);
            t.storage().free();
        }
    }
}
