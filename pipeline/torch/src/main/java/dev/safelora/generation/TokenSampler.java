package dev.safelora.generation;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token from a row of logits: argmax, or temperature + nucleus (top-p) sampling. */
public final class TokenSampler {

    private final GenerationConfig config;
    private final SplittableRandom random;

    public TokenSampler(GenerationConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    public int next(float[] logits) {
        return config.greedy() ? argmax(logits) : sample(logits, config.temperature(), config.topP(), random.nextDouble());
    }

    /** Index of the largest logit (the first one on ties, as torch.argmax). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Softmax of {@code logits / temperature}, keeps the smallest set of most likely tokens whose
     * probability reaches {@code topP} (at least one), renormalises, and returns the token that
     * {@code uniform} in [0, 1) selects by inverse CDF over that set (in descending probability).
     */
    public static int sample(float[] logits, double temperature, double topP, double uniform) {
        int n = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l / temperature);
        }
        double[] p = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(logits[i] / temperature - max);
            total += p[i];
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            p[i] /= total;
        }
        Arrays.sort(order, (a, b) -> p[b] != p[a] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int keep = 0;
        double mass = 0;
        while (keep < n && (keep == 0 || mass < topP)) {
            mass += p[order[keep]];
            keep++;
        }
        double target = uniform * mass;
        double cumulative = 0;
        for (int k = 0; k < keep; k++) {
            cumulative += p[order[k]];
            if (target < cumulative) {
                return order[k];
            }
        }
        return order[keep - 1];
    }
}
