package dev.safelora.model;

import java.util.List;

/**
 * How to create fresh trainable LoRA factors: rank, alpha (scale alpha/r, or alpha/sqrt(r) with
 * rsLoRA), dropout on the LoRA input while training, the target modules (PEFT matching: a module
 * is targeted when its name equals an entry or ends with "." + entry, e.g. "q_proj"), and the
 * seed that fixes the initial A.
 */
public record LoraSpec(int r, double alpha, boolean rsLora, List<String> targetModules, double dropout, long seed) {
    public LoraSpec {
        targetModules = List.copyOf(targetModules);
        if (r <= 0) {
            throw new IllegalArgumentException("LoRA rank r must be positive, got " + r);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules.isEmpty()) {
            throw new IllegalArgumentException("LoRA needs at least one target module");
        }
    }

    public double scale() {
        return rsLora ? alpha / Math.sqrt(r) : alpha / r;
    }

    static boolean matches(String module, List<String> targets) {
        for (String t : targets) {
            if (module.equals(t) || module.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }
}
