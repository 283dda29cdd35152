package dev.safelora.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.safelora.planner.PlannerApp;
import dev.safelora.planner.PlannerMetrics;
import dev.safelora.stage.StageConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code safelora stage planner [--config FILE]}: the Kafka Streams planner until interrupted. */
@Command(name = "planner", mixinStandardHelpOptions = true,
        description = {
            "Plans training and projection jobs with Kafka Streams (exactly-once).",
            "- a training request becomes a training job once its family's alignment",
            "  is READY (requests that arrive first wait in a state store);",
            "- a layer selection for an adapter becomes a projection job;",
            "- a new alignment refreshes the family's adapters: re-projection when only",
            "  the aligned checkpoint changed, re-training when the base changed.",
            "Reads alignments, layer-selections, training-requests and adapters; writes",
            "training-jobs, projection-jobs and <input topic>.dlq.",
            "Settings: --config FILE (bootstrap.servers, schema.registry.url, security.*,",
            "sasl.*, ssl.*, stage.group.id, stage.work.dir, stage.metrics.port,",
            "stage.artifacts.uri), then the SAFELORA_* environment."})
public final class PlannerStageCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Stage and client properties file.")
    Path config;

    @Override
    public Integer call() throws Exception {
        QuietKafkaLogs.apply();
        StageConfig stage = StageConfig.load("planner", PlannerApp.INPUT_TOPICS, config, System.getenv());
        try (PlannerApp app = PlannerApp.start(stage, new PlannerMetrics())) {
            Thread hook = new Thread(app::close, "planner-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            System.err.println("planner: application " + stage.groupId() + " on " + stage.client().bootstrapServers()
                    + "; metrics and health on :" + app.metricsPort() + " (Ctrl-C stops)");
            app.awaitStopped();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook stopped the planner
            }
        }
        return 0;
    }
}
