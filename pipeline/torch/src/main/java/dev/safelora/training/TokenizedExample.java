package dev.safelora.training;

import dev.safelora.model.CausalLmLoss;
import java.util.Arrays;

/**
 * Token ids of one example and their labels, aligned position by position as in HF transformers
 * ({@code labels[t] == inputIds[t]} where the token is trained on, {@link #IGNORE} elsewhere);
 * the loss shifts them by one (the logits at t predict the label at t + 1).
 */
public record TokenizedExample(int[] inputIds, int[] labels) {

    /** The label of a position that the loss ignores (PyTorch's ignore_index). */
    public static final int IGNORE = (int) CausalLmLoss.IGNORE;

    public TokenizedExample {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException("inputIds and labels differ in length");
        }
    }

    public int length() {
        return inputIds.length;
    }

    /** The number of positions that contribute to the loss (labelled and not the first). */
    public int trainedTokens() {
        int n = 0;
        for (int t = 1; t < labels.length; t++) {
            if (labels[t] != IGNORE) {
                n++;
            }
        }
        return n;
    }

    /** Keeps the first {@code maxLength} tokens: truncation drops the end (the right side). */
    public TokenizedExample truncate(int maxLength) {
        if (inputIds.length <= maxLength) {
            return this;
        }
        return new TokenizedExample(Arrays.copyOf(inputIds, maxLength), Arrays.copyOf(labels, maxLength));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenizedExample other
                && Arrays.equals(inputIds, other.inputIds) && Arrays.equals(labels, other.labels);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(inputIds) + Arrays.hashCode(labels);
    }

    @Override
    public String toString() {
        return "TokenizedExample[inputIds=" + Arrays.toString(inputIds) + ", labels=" + Arrays.toString(labels) + "]";
    }
}
