package dev.safelora.cli;

import dev.safelora.stage.StageConfig;
import dev.safelora.stage.StageLoop;
import dev.safelora.stage.StageMetrics;
import dev.safelora.stage.StageProcess;
import dev.safelora.stage.alignment.AlignmentStage;
import dev.safelora.stage.projector.ProjectorStage;
import dev.safelora.stage.trainer.TrainerStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stage <name>}: runs one pipeline stage against any Kafka cluster and schema registry until
 * SIGTERM/SIGINT, then shuts it down gracefully (running jobs get {@code stage.shutdown.deadline}).
 */
@Command(name = "stage", mixinStandardHelpOptions = true,
        description = {
            "Runs one pipeline stage until SIGTERM or Ctrl-C, then stops it gracefully.",
            "Configuration: defaults, then --config FILE (Java properties), then the environment:",
            "  bootstrap.servers / SAFELORA_BOOTSTRAP_SERVERS, schema.registry.url / SAFELORA_REGISTRY_URL,",
            "  security.protocol, sasl.*, ssl.* (SAFELORA_KAFKA_<PROPERTY>), stage.* keys (group.id, work.dir,",
            "  metrics.port, exactly.once, artifacts.uri / SAFELORA_ARTIFACTS_URI, device, ...); see README."},
        subcommands = {
            PlannerStageCommand.class,
            StageCommand.Alignment.class,
            StageCommand.Projector.class,
            StageCommand.Trainer.class,
        })
public final class StageCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a stage: planner, alignment, projector or trainer");
    }

    /** What every stage subcommand shares: the config file and the run-until-signal life. */
    abstract static class StageRun implements Callable<Integer> {

        @Option(names = "--config", paramLabel = "FILE", description = "A properties file with cluster and stage settings.")
        Path config;

        @Override
        public Integer call() throws Exception {
            if (config != null && !Files.isRegularFile(config)) {
                throw new IllegalArgumentException("--config " + config + ": no such file");
            }
            QuietKafkaLogs.apply();
            Map<String, String> env = System.getenv();
            StageConfig stageConfig = load(config, env);
            StageMetrics metrics = new StageMetrics();
            StageLoop loop = loop(stageConfig, metrics, env);
            System.err.println("safelora: stage " + stageConfig.stageName() + " consuming " + stageConfig.inputTopics()
                    + " as group " + stageConfig.groupId() + " (metrics and health on :" + stageConfig.metricsPort() + ")");
            StageProcess.run(stageConfig, metrics, loop);
            return 0;
        }

        abstract StageConfig load(Path file, Map<String, String> env);

        abstract StageLoop loop(StageConfig config, StageMetrics metrics, Map<String, String> env);
    }

    @Command(name = "alignment", mixinStandardHelpOptions = true,
            description = "Model registrations -> alignment artifacts and AlignmentReady/AlignmentFailed events.")
    static final class Alignment extends StageRun {
        @Override
        StageConfig load(Path file, Map<String, String> env) {
            return AlignmentStage.config(file, env);
        }

        @Override
        StageLoop loop(StageConfig config, StageMetrics metrics, Map<String, String> env) {
            return AlignmentStage.loop(config, metrics, env);
        }
    }

    @Command(name = "projector", mixinStandardHelpOptions = true,
            description = "Projection jobs -> re-projected adapters with AdapterPublished and EvaluationCompleted events.")
    static final class Projector extends StageRun {
        @Override
        StageConfig load(Path file, Map<String, String> env) {
            return ProjectorStage.config(file, env);
        }

        @Override
        StageLoop loop(StageConfig config, StageMetrics metrics, Map<String, String> env) {
            return ProjectorStage.loop(config, metrics, env);
        }
    }

    @Command(name = "trainer", mixinStandardHelpOptions = true,
            description = "Training jobs -> trained, projected and evaluated adapters, with progress events.")
    static final class Trainer extends StageRun {
        @Override
        StageConfig load(Path file, Map<String, String> env) {
            return TrainerStage.config(file, env);
        }

        @Override
        StageLoop loop(StageConfig config, StageMetrics metrics, Map<String, String> env) {
            return TrainerStage.loop(config, metrics, env);
        }
    }
}
