package dev.safelora.projection;

/**
 * SafeLoRA's verdict on one module.
 *
 * @param layer transformer layer index, -1 when the name has none
 * @param cosine cosine between {@code C B A} and {@code B A}, rounded to 5 decimals as PEFT rounds it before selecting
 * @param exactCosine the same cosine unrounded
 * @param signedScore {@code <B A, V>_F / (||B A||_F ||V||_F)} of the raw update, in [-1, 1]: negative when the
 *                    update reverses the alignment direction, which the cosine (never negative) cannot show
 * @param normRatio {@code ||B_final A||_F / ||B A||_F}: 1 for a module left alone, above 1 when the remedy enlarged
 *                  the update (SafeLoRA's C can), 0 when it was zeroed
 * @param alignmentNorm {@code ||V||_F}
 * @param distance {@code ||B_final - C B||_F} (0 when projected with SafeLoRA's C)
 */
public record ModuleResult(String name, int layer, double cosine, double exactCosine, double signedScore, boolean projected,
                           double normRatio, double alignmentNorm, double distance) {
}
