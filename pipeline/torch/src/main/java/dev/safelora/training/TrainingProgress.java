package dev.safelora.training;

import java.time.Duration;

/**
 * The state after one optimizer step.
 *
 * @param step            optimizer steps done (1-based)
 * @param epoch           the epoch this step belongs to (1-based)
 * @param loss            mean token loss over the step's accumulated micro-batches
 * @param learningRate    the learning rate this step used
 * @param tokensPerSecond real (unpadded) input tokens per wall-clock second since this run started
 */
public record TrainingProgress(
        long step, long totalSteps, int epoch, int epochs, double loss, double learningRate,
        double gradNorm, long tokens, double tokensPerSecond, Duration elapsed, Duration eta) {
}
