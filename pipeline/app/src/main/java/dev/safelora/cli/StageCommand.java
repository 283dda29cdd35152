package dev.safelora.cli;

import dev.safelora.stage.StageConfig;
import dev.safelora.stage.StageLoop;
import dev.safelora.stage.StageMetrics;
import dev.safelora.stage.StageProcess;
import dev.safelora.stage.StageWiring;
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
            "Configuration: defaults, then --config FILE (Java properties), then the environment.",
            "Cluster: bootstrap.servers (SAFELORA_BOOTSTRAP_SERVERS), schema.registry.url",
            "(SAFELORA_REGISTRY_URL), security.protocol, sasl.*, ssl.* (SAFELORA_KAFKA_<PROPERTY>).",
            "Stage: stage.group.id, stage.work.dir, stage.metrics.port, stage.exactly.once,",
            "stage.artifacts.uri (SAFELORA_ARTIFACTS_URI), stage.device, ... (see README)."},
        subcommands = {
            PlannerStageCommand.class,
            StageCommand.Alignment.class,
            StageCommand.Projector.class,
            StageCommand.Trainer.class,
            StageCommand.Audit.class,
        })
public final class StageCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a stage: planner, alignment, projector, trainer or audit");
    }

    /** What every stage subcommand shares: the config file and the run-until-signal life. */
    abstract static class StageRun implements Callable<Integer> {

        private final StageWiring wiring;

        @Option(names = "--config", paramLabel = "FILE", description = "A properties file with cluster and stage settings.")
        Path config;

        StageRun(StageWiring wiring) {
            this.wiring = wiring;
        }

        @Override
        public Integer call() throws Exception {
            if (config != null && !Files.isRegularFile(config)) {
                throw new IllegalArgumentException("--config " + config + ": no such file");
            }
            QuietKafkaLogs.apply();
            Map<String, String> env = System.getenv();
            StageConfig stageConfig = wiring.config().load(config, env);
            StageMetrics metrics = new StageMetrics();
            StageLoop loop = wiring.loop().create(stageConfig, metrics, env);
            System.err.println("safelora: stage " + stageConfig.stageName() + " consuming " + stageConfig.inputTopics()
                    + " as group " + stageConfig.groupId());
            StageProcess.run(stageConfig, metrics, loop);
            return 0;
        }
    }

    @Command(name = "alignment", mixinStandardHelpOptions = true,
            description = "Model registrations -> alignment artifacts and AlignmentReady/AlignmentFailed events.")
    static final class Alignment extends StageRun {
        Alignment() {
            super(AlignmentStage.WIRING);
        }
    }

    @Command(name = "projector", mixinStandardHelpOptions = true,
            description = "Projection jobs -> re-projected adapters with AdapterPublished and EvaluationCompleted events.")
    static final class Projector extends StageRun {
        Projector() {
            super(ProjectorStage.WIRING);
        }
    }

    @Command(name = "audit", mixinStandardHelpOptions = true,
            description = {"Outputs and dead letters -> the hash-chained audit ledger (SQLite by default,",
                "PostgreSQL via stage.audit.jdbc.url / SAFELORA_AUDIT_JDBC_URL, _USER, _PASSWORD);",
                "anchors the chain heads to safelora.audit-anchors.v1; serves /audit/ reports."})
    static final class Audit extends StageRun {
        Audit() {
            super(dev.safelora.audit.stage.AuditStage.WIRING);
        }
    }

    @Command(name = "trainer", mixinStandardHelpOptions = true,
            description = "Training jobs -> trained, projected and evaluated adapters, with progress events.")
    static final class Trainer extends StageRun {
        Trainer() {
            super(TrainerStage.WIRING);
        }
    }
}
