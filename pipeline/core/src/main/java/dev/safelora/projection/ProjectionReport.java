package dev.safelora.projection;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The content of {@code safelora_report.json}.
 *
 * @param threshold tau for THRESHOLD; null otherwise
 * @param topK K for TOP_K; null otherwise
 * @param rank subspace rank for the {@code subspace} extension; null otherwise
 * @param pdst mean over modules of {@code 1 / (1 + ||B_final - C B||_F)}, as PEFT's reference code computes it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProjectionReport(String mode, Double threshold, Integer topK, Integer rank, List<Integer> layers,
                               List<String> selectedModules, double pdst, int projectedCount, List<ModuleResult> modules) {
    public static final String FILE = "safelora_report.json";
}
