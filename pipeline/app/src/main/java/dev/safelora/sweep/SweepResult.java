package dev.safelora.sweep;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The whole sweep, as {@code sweep.json}.
 *
 * @param remedy what was done to the selected modules
 * @param modules the number of LoRA modules in the adapter
 * @param aligned the model without any adapter (the aligned model the adapter was trained on)
 * @param raw the model with the unprojected adapter
 * @param points one per setting, in the order given
 */
public record SweepResult(String remedy, int modules, Metrics aligned, Metrics raw, List<Point> points) {

    /**
     * @param mode {@code threshold} or {@code top-k}
     * @param threshold tau for threshold points, else null
     * @param topK K for top-k points, else null
     * @param projectedCount how many modules the setting selected
     * @param adapter the projected adapter's directory, relative to the sweep's output
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Point(String mode, Double threshold, Integer topK, int projectedCount, List<String> projectedModules,
                        String adapter, Metrics metrics) {
    }
}
