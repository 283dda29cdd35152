package dev.safelora.training;

import java.util.List;

/**
 * A right-padded batch, row-major {@code [rows, length]}: padding positions have attention mask 0
 * and label {@link TokenizedExample#IGNORE}.
 */
public record Batch(int rows, int length, long[] inputIds, long[] labels, long[] attentionMask) {

    /** Pads {@code examples} on the right to the longest of them with {@code padId}. */
    public static Batch of(List<TokenizedExample> examples, int padId) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one example");
        }
        int length = examples.stream().mapToInt(TokenizedExample::length).max().orElseThrow();
        int rows = examples.size();
        long[] ids = new long[rows * length];
        long[] labels = new long[rows * length];
        long[] mask = new long[rows * length];
        for (int r = 0; r < rows; r++) {
            TokenizedExample ex = examples.get(r);
            for (int t = 0; t < length; t++) {
                int i = r * length + t;
                boolean real = t < ex.length();
                ids[i] = real ? ex.inputIds()[t] : padId;
                labels[i] = real ? ex.labels()[t] : TokenizedExample.IGNORE;
                mask[i] = real ? 1 : 0;
            }
        }
        return new Batch(rows, length, ids, labels, mask);
    }

    /** Real (unpadded) tokens in the batch. */
    public long tokens() {
        long n = 0;
        for (long m : attentionMask) {
            n += m;
        }
        return n;
    }

    /** Positions that contribute to the loss: a label other than IGNORE at t >= 1 of its row. */
    public long trainedTokens() {
        long n = 0;
        for (int r = 0; r < rows; r++) {
            for (int t = 1; t < length; t++) {
                if (labels[r * length + t] != TokenizedExample.IGNORE) {
                    n++;
                }
            }
        }
        return n;
    }
}
