package dev.safelora.adapter;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The LoRA hyperparameters of a PEFT adapter ({@code adapter_config.json}).
 *
 * <p>{@code rankPattern} and {@code alphaPattern} are PEFT's per-module overrides of {@code r} and
 * {@code lora_alpha}: each key is a regular expression matched against the end of a module's name after a
 * dot ({@code v_proj}, {@code layers\.1\..*q_proj}, or a full name); the first key that matches, in the
 * file's order, wins, as in PEFT's {@code get_pattern_key}.
 *
 * @param baseModelPath {@code base_model_name_or_path}; may be null
 */
public record LoraConfig(int r, double alpha, boolean rsLora, List<String> targetModules, double dropout,
                         String baseModelPath, boolean useDora, Map<String, Integer> rankPattern,
                         Map<String, Double> alphaPattern) {

    /**
     * The largest lora_alpha accepted. Published adapters use alpha up to a few hundred times r; beyond a million the
     * scaled update overflows the bf16/float32 weights it is added to, and every logit turns NaN.
     */
    public static final double MAX_ALPHA = 1e6;

    public LoraConfig {
        if (r <= 0) {
            throw new IllegalArgumentException("LoRA rank r must be positive, got " + r);
        }
        if (!Double.isFinite(alpha) || alpha <= 0 || alpha > MAX_ALPHA) {
            throw new IllegalArgumentException("lora_alpha must be a positive number at most " + (long) MAX_ALPHA + ", got " + alpha
                    + (alpha > MAX_ALPHA ? " (the update scale alpha / r would overflow the float32/bf16 weights it is added to)" : ""));
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules == null || targetModules.isEmpty()) {
            throw new IllegalArgumentException("target_modules must name at least one module");
        }
        targetModules = List.copyOf(targetModules);
        rankPattern = Collections.unmodifiableMap(new LinkedHashMap<>(rankPattern));
        alphaPattern = Collections.unmodifiableMap(new LinkedHashMap<>(alphaPattern));
        rankPattern.forEach((key, value) -> {
            compile("rank_pattern", key);
            if (value == null || value <= 0) {
                throw new IllegalArgumentException("rank_pattern[" + key + "] must be a positive rank, got " + value);
            }
        });
        alphaPattern.forEach((key, value) -> {
            compile("alpha_pattern", key);
            if (value == null || !Double.isFinite(value) || value <= 0 || value > MAX_ALPHA) {
                throw new IllegalArgumentException("alpha_pattern[" + key + "] must be a positive number at most " + (long) MAX_ALPHA
                        + ", got " + value);
            }
        });
    }

    /** A config with one rank and alpha for every module. */
    public LoraConfig(int r, double alpha, boolean rsLora, List<String> targetModules, double dropout, String baseModelPath,
                      boolean useDora) {
        this(r, alpha, rsLora, targetModules, dropout, baseModelPath, useDora, Map.of(), Map.of());
    }

    /** The same config naming another base model ({@code base_model_name_or_path}). */
    public LoraConfig withBaseModelPath(String path) {
        return new LoraConfig(r, alpha, rsLora, targetModules, dropout, path, useDora, rankPattern, alphaPattern);
    }

    /** The factor of the update {@code dW = scale * B A} without per-module overrides: alpha / r, or alpha / sqrt(r) with rsLoRA. */
    public double scale() {
        return rsLora ? alpha / Math.sqrt(r) : alpha / r;
    }

    /** The rank of {@code module} (a name such as {@code model.layers.3.self_attn.q_proj}). */
    public int rank(String module) {
        String key = patternKey("rank_pattern", rankPattern.keySet(), module);
        return key == null ? r : rankPattern.get(key);
    }

    /** The alpha of {@code module}. */
    public double alpha(String module) {
        String key = patternKey("alpha_pattern", alphaPattern.keySet(), module);
        return key == null ? alpha : alphaPattern.get(key);
    }

    /** The scale of {@code module}'s update: its alpha over its rank (or the rank's square root with rsLoRA). */
    public double scale(String module) {
        int rank = rank(module);
        return rsLora ? alpha(module) / Math.sqrt(rank) : alpha(module) / rank;
    }

    private static String patternKey(String field, Iterable<String> keys, String module) {
        for (String key : keys) {
            if (BoundedMatch.matches(Pattern.compile("(.*\\.)?(" + key + ")$"), module, field + " key \"" + key + "\"")) {
                return key;
            }
        }
        return null;
    }

    private static void compile(String field, String key) {
        try {
            Pattern.compile("(.*\\.)?(" + key + ")$");
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(field + " key \"" + key + "\" is not a valid regular expression: " + e.getDescription());
        }
    }
}
