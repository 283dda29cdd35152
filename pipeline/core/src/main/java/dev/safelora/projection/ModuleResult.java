package dev.safelora.projection;

/**
 * SafeLoRA's verdict on one module.
 *
 * @param layer transformer layer index, -1 when the name has none
 * @param cosine cosine between {@code C B A} and {@code B A}, rounded to 5 decimals as PEFT rounds it before selecting
 * @param exactCosine the same cosine unrounded
 * @param alignmentNorm {@code ||V||_F}
 * @param distance {@code ||B_final - C B||_F} (0 when projected)
 */
public record ModuleResult(String name, int layer, double cosine, double exactCosine, boolean projected, double alignmentNorm,
                           double distance) {
}
