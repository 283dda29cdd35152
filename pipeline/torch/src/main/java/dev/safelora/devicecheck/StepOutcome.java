package dev.safelora.devicecheck;

/**
 * What one device made of the check's training step and decoding.
 *
 * @param factors       every LoRA factor after the AdamW step, flattened in module order
 * @param initial       the same factors before the step (identical on every device: seeded on the host)
 * @param stepNanos     wall time of forward, backward, clipping and the optimizer step, device synchronised
 * @param peakBytes     peak device memory of the step (CUDA allocator), or the process's resident set on the CPU
 */
public record StepOutcome(double loss, double gradNorm, float[] factors, float[] initial, long[] greedyTokens,
                          long stepNanos, long peakBytes) {
}
