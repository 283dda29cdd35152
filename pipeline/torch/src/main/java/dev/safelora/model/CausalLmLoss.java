package dev.safelora.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** The causal language-modelling loss as HF computes it for {@code labels}. */
public final class CausalLmLoss {

    /** Label value of positions that do not count (prompt tokens, padding), as in HF. */
    public static final long IGNORE = -100;

    private static final long MEAN = 1; // at::Reduction::Mean
    private static final long SUM = 2; // at::Reduction::Sum

    private CausalLmLoss() {
    }

    /**
     * Mean cross-entropy of predicting {@code labels[:, t+1]} from {@code logits[:, t]}, over the
     * positions whose label is not {@link #IGNORE}. {@code logits}: fp32 [B, T, V];
     * {@code labels}: int64 [B, T] (usually the input ids with ignored positions set to -100).
     * NaN when every label is ignored.
     */
    public static Tensor shiftedCrossEntropy(Tensor logits, Tensor labels) {
        return shifted(logits, labels, MEAN);
    }

    /**
     * Like {@link #shiftedCrossEntropy} but summed instead of averaged (0 when every label is
     * ignored), so callers can divide by a token count of their own (a whole optimizer step, a
     * whole held-out set).
     */
    public static Tensor summed(Tensor logits, Tensor labels) {
        return shifted(logits, labels, SUM);
    }

    private static Tensor shifted(Tensor logits, Tensor labels, long reduction) {
        long tokens = logits.size(1);
        long vocab = logits.size(2);
        if (labels.dim() != 2 || labels.size(0) != logits.size(0) || labels.size(1) != tokens) {
            throw new IllegalArgumentException("labels must be [" + logits.size(0) + ", " + tokens + "], got "
                    + java.util.Arrays.toString(Tensors.shape(labels)));
        }
        Tensor predicted = logits.narrow(1, 0, tokens - 1).reshape(-1, vocab);
        Tensor targets = labels.to(logits.device(), torch.ScalarType.Long).narrow(1, 1, tokens - 1).reshape(-1);
        return torch.cross_entropy_loss(predicted, targets, new TensorOptional(), reduction, IGNORE, 0.0);
    }
}
