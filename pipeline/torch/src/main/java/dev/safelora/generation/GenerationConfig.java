package dev.safelora.generation;

import java.util.Set;

/**
 * How to pick new tokens: greedy (argmax) or sampled with {@code temperature} and nucleus
 * {@code topP} from a generator seeded with {@code seed}; generation stops at any of
 * {@code stopTokens} (EOS; not emitted) or after {@code maxNewTokens}.
 */
public record GenerationConfig(int maxNewTokens, boolean greedy, double temperature, double topP, long seed,
                               Set<Long> stopTokens) {

    public GenerationConfig {
        stopTokens = Set.copyOf(stopTokens);
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max new tokens must be >= 0, got " + maxNewTokens);
        }
        if (!greedy && !(temperature > 0 && Double.isFinite(temperature))) {
            throw new IllegalArgumentException("temperature must be a positive number, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
    }

    public static GenerationConfig greedy(int maxNewTokens, Set<Long> stopTokens) {
        return new GenerationConfig(maxNewTokens, true, 1.0, 1.0, 0, stopTokens);
    }

    public static GenerationConfig sampled(int maxNewTokens, double temperature, double topP, long seed, Set<Long> stopTokens) {
        return new GenerationConfig(maxNewTokens, false, temperature, topP, seed, stopTokens);
    }

    public GenerationConfig withStopTokens(Set<Long> tokens) {
        return new GenerationConfig(maxNewTokens, greedy, temperature, topP, seed, tokens);
    }
}
