package dev.safelora.training;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** Next-token cross-entropy with HF's label convention (labels aligned with the inputs, shifted here). */
public final class CausalLmLoss {

    /** at::Reduction::Sum. */
    private static final long SUM = 2;

    private CausalLmLoss() {
    }

    /**
     * The summed loss over every position whose next label is not {@link TokenizedExample#IGNORE}:
     * logits {@code [B, T, V]} at position t are scored against labels {@code [B, T]} at t + 1.
     */
    public static Tensor summed(Tensor logits, Tensor labels) {
        long t = logits.size(1);
        long vocab = logits.size(2);
        Tensor predicted = logits.narrow(1, 0, t - 1).reshape(-1, vocab);
        Tensor targets = labels.narrow(1, 1, t - 1).reshape(-1);
        return torch.cross_entropy_loss(predicted, targets, new TensorOptional(), SUM, TokenizedExample.IGNORE, 0.0);
    }
}
