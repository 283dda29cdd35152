package dev.safelora.stage;

import java.nio.file.Path;
import java.util.Map;

/**
 * How a worker stage is made: its configuration from a properties file and the environment, then its loop.
 * What {@code safelora stage <name> --config FILE} runs, and what the demo starts in process.
 */
public record StageWiring(ConfigLoader config, LoopFactory loop) {

    @FunctionalInterface
    public interface ConfigLoader {
        StageConfig load(Path file, Map<String, String> env);
    }

    @FunctionalInterface
    public interface LoopFactory {
        StageLoop create(StageConfig config, StageMetrics metrics, Map<String, String> env);
    }

    /** Loads the configuration, builds the loop and starts it with its metrics and health server. */
    public StageProcess start(Path file, Map<String, String> env) {
        StageConfig stageConfig = config.load(file, env);
        StageMetrics metrics = new StageMetrics();
        return StageProcess.start(stageConfig, metrics, loop.create(stageConfig, metrics, env));
    }
}
