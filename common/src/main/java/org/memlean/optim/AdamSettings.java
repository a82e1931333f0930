package org.memlean.optim;

/**
 * The hyper-parameters of the Adam family — AdamW here, and its bf16, 8-bit and sharded (ZeRO)
 * forms in the chapters: learning rate, the two moments' decay rates β1 and β2, ε, and the
 * decoupled weight decay.
 */
public record AdamSettings(double lr, double beta1, double beta2, double eps, double weightDecay) {
    /** Refuses values no Adam-family optimizer can use, naming each. */
    public AdamSettings {
        if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("Adam needs lr > 0, betas in [0, 1), eps > 0, weightDecay ≥ 0; got lr="
                    + lr + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps + ", weightDecay=" + weightDecay);
        }
    }

    /** PyTorch's AdamW defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public static AdamSettings defaults(double lr) {
        return new AdamSettings(lr, 0.9, 0.999, 1e-8, 0.01);
    }

    /** These settings without weight decay. */
    public AdamSettings withoutWeightDecay() {
        return new AdamSettings(lr, beta1, beta2, eps, 0);
    }
}
