package dev.safelora.training;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What a training run ended with. When {@code stopped} the run was interrupted between steps:
 * {@code adapterDir} is null and the latest checkpoint (if any) is where {@code --resume} goes on.
 */
public record TrainingResult(
        boolean stopped, long steps, long totalSteps, double finalLoss, long tokens,
        double tokensPerSecond, Duration elapsed, Path adapterDir, Path checkpointDir, Path logFile) {
}
