package org.memlean.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.List;
import org.memlean.memory.Construction;
import org.memlean.tensor.Losses;
import org.memlean.tensor.Tensor;

/**
 * A small GPT: token and position embeddings, L pre-norm blocks, a final layer norm, a linear head.
 * ids (B, T) → logits (B, T, V).
 */
public final class Gpt extends Layer {
    private final GptConfig config;
    private List<Layer> stages;     // what forward runs between the embeddings and the final norm

    public Gpt(GptConfig config) {
        this.config = config;
        // all or nothing: a budget reached half-way through frees the parameters made so far
        try (Construction construction = Construction.begin()) {
            child("tokens", new Embedding(config.vocabSize(), config.channels(), config.dataType()));
            child("positions", new Embedding(config.blockSize(), config.channels(), config.dataType()));
            child("dropout", new Dropout(config.dropout()));
            for (int i = 0; i < config.layers(); i++) child("blocks." + i, new Block(config));
            child("norm", new LayerNorm(config.channels(), config.dataType()));
            child("head", new Linear(config.channels(), config.vocabSize(), false, config.dataType()));
            construction.done();
        }
    }

    public GptConfig config() {
        return config;
    }

    /** The blocks, in order (a technique may replace one with {@link #replaceBlock}). */
    public List<Layer> blocks() {
        List<Layer> out = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) out.add(part("blocks." + i));
        return out;
    }

    /** Replaces block {@code index} (for wrappers such as activation checkpointing); returns the one replaced. */
    public Layer replaceBlock(int index, Layer block) {
        if (index < 0 || index >= config.layers()) {
            throw new IllegalArgumentException("block index " + index + " is out of range 0.." + (config.layers() - 1));
        }
        if (stages != null) {
            throw new IllegalStateException("the blocks run regrouped in stages (setStages); replacing block " + index
                    + " would not change what runs: setStages(null) first");
        }
        return replaceChild("blocks." + index, block);
    }

    /**
     * What forward runs between the embeddings and the final norm: the blocks, one after another,
     * unless a technique regrouped them ({@link #setStages}). The blocks stay registered under their
     * names either way, so parameter names do not change.
     */
    public List<Layer> stages() {
        return stages == null ? blocks() : List.copyOf(stages);
    }

    /**
     * Runs these modules in place of the blocks (null restores the blocks). The stages must hold
     * exactly the blocks' parameters, so a regrouping cannot silently drop or add a block.
     */
    public void setStages(List<Layer> stages) {
        if (stages != null) {
            Set<Tensor> inStages = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Layer m : stages) inStages.addAll(m.namedParameters().values());
            Set<Tensor> inBlocks = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Layer m : blocks()) inBlocks.addAll(m.namedParameters().values());
            if (!inStages.equals(inBlocks)) {
                throw new IllegalArgumentException("stages must run exactly the model's blocks: they hold "
                        + inStages.size() + " parameter tensors, the blocks " + inBlocks.size());
            }
        }
        this.stages = stages == null ? null : List.copyOf(stages);
    }

    @Override
    public Tensor forward(Tensor ids) {                                           // ids: (B, T) integers
        long t = ids.size(1);
        if (t > config.blockSize()) {
            throw new IllegalArgumentException("sequence of length " + t + " is longer than the model's block size "
                    + config.blockSize());
        }
        int[] positionIds = new int[(int) t];
        for (int i = 0; i < t; i++) positionIds[i] = i;
        Tensor positions = Tensor.ofInts(positionIds, t);                          // (T)
        Tensor x = part("tokens").forward(ids)                                     // (B, T, C)
                .then(tokens -> positions.then(part("positions")).then(tokens::add))  // + (T, C)
                .then(part("dropout"));
        for (Layer stage : stages()) x = x.then(stage);                            // (B, T, C)
        return x.then(part("norm")).then(part("head"));                           // (B, T, V)
    }

    /**
     * Mean cross-entropy of the predictions for the last {@code targets.size(1)} positions of ids
     * (B, T) against targets (B, N), N ≤ T (N = T is plain language modelling).
     */
    public Tensor loss(Tensor ids, Tensor targets) {
        long t = ids.size(1);
        long n = targets.size(1);
        if (targets.rank() != 2 || targets.size(0) != ids.size(0) || n > t) {
            throw new IllegalArgumentException("targets " + Arrays.toString(targets.shape())
                    + " must be (B, N) with N ≤ T for ids " + Arrays.toString(ids.shape()));
        }
        return forward(ids)                                                        // (B, T, V)
                .then(logits -> n == t ? logits : logits.slice(1, t - n, n))       // (B, N, V)
                .then(answer -> Losses.crossEntropy(answer, targets));
    }
}
