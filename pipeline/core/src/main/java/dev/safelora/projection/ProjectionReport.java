package dev.safelora.projection;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The content of {@code safelora_report.json}.
 *
 * @param mode the selection: threshold, top-k, explicit (or auto, resolved to top-k K by the search)
 * @param remedy what was done to the selected modules ({@link Remedy#cliName()}: project, subspace, zero, shrink)
 * @param threshold tau for THRESHOLD; null otherwise
 * @param topK K for TOP_K; null otherwise
 * @param rank subspace rank of the {@code subspace} remedy when one was given; null otherwise (then the rank is each
 *             module's LoRA rank r)
 * @param auto for an AUTO selection: the search that chose K (then mode is {@code auto} and topK the K chosen); null otherwise
 * @param pdst mean over modules of {@code 1 / (1 + ||B_final - C B||_F)}, as PEFT's reference code computes it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProjectionReport(String mode, String remedy, Double threshold, Integer topK, Integer rank, List<Integer> layers,
                               List<String> selectedModules, double pdst, int projectedCount, List<ModuleResult> modules,
                               AutoSelection.Result auto) {
    public static final String FILE = "safelora_report.json";

    public ProjectionReport(String mode, String remedy, Double threshold, Integer topK, Integer rank, List<Integer> layers,
                            List<String> selectedModules, double pdst, int projectedCount, List<ModuleResult> modules) {
        this(mode, remedy, threshold, topK, rank, layers, selectedModules, pdst, projectedCount, modules, null);
    }

    /** This report as the outcome of an AUTO search: mode {@code auto}, topK the K it chose. */
    public ProjectionReport withAuto(AutoSelection.Result search) {
        return new ProjectionReport("auto", remedy, null, search.chosenK(), rank, layers, selectedModules, pdst, projectedCount, modules,
                search);
    }
}
