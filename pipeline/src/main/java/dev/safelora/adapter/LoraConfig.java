package dev.safelora.adapter;

import java.util.List;

/**
 * The LoRA hyperparameters of a PEFT adapter ({@code adapter_config.json}).
 *
 * @param baseModelPath {@code base_model_name_or_path}; may be null
 */
public record LoraConfig(int r, double alpha, boolean rsLora, List<String> targetModules, double dropout,
                         String baseModelPath, boolean useDora) {

    public LoraConfig {
        if (r <= 0) {
            throw new IllegalArgumentException("LoRA rank r must be positive, got " + r);
        }
        if (!Double.isFinite(alpha) || alpha <= 0) {
            throw new IllegalArgumentException("lora_alpha must be a positive number, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules == null || targetModules.isEmpty()) {
            throw new IllegalArgumentException("target_modules must name at least one module");
        }
        targetModules = List.copyOf(targetModules);
    }

    /** The factor of the update {@code dW = scale * B A}: alpha / r, or alpha / sqrt(r) with rsLoRA. */
    public double scale() {
        return rsLora ? alpha / Math.sqrt(r) : alpha / r;
    }
}
