package dev.safelora.cli;

import java.time.Duration;
import java.util.concurrent.Callable;

import dev.safelora.topics.TopicBootstrap;
import dev.safelora.topics.TopicSettings;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Topic administration against a real cluster (the container images and the Kubernetes Job run it). */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Creates the pipeline's topics on a cluster.",
        subcommands = TopicsCommand.Create.class)
final class TopicsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a subcommand: create");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Creates every pipeline topic, its .dlq and _schemas; compacted where the topic is keyed state.",
                "Idempotent: existing topics are left as they are and differences from the plan are reported."})
    static final class Create implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Mixin
        ClusterOptions cluster;

        @Option(names = "--partitions", paramLabel = "N", defaultValue = "3",
                description = "partitions of every pipeline topic and DLQ (default: ${DEFAULT-VALUE})")
        int partitions;

        @Option(names = "--replication-factor", paramLabel = "R",
                description = "replicas per partition (default: the broker's default.replication.factor)")
        Short replicationFactor;

        @Option(names = "--retention-hours", paramLabel = "H",
                description = "retention of the non-compacted topics (default: the broker's)")
        Long retentionHours;

        @Option(names = "--dlq-retention-hours", paramLabel = "H",
                description = "retention of the dead-letter topics (default: the broker's)")
        Long dlqRetentionHours;

        @Override
        public Integer call() {
            QuietKafkaLogs.apply();
            TopicSettings settings = OneLineErrors.optionValue(spec, this::settings);
            TopicBootstrap.Result result;
            try (Admin admin = Admin.create(cluster.settings().adminProperties())) {
                result = TopicBootstrap.run(admin, settings);
            }
            var out = spec.commandLine().getOut();
            out.printf("topics: %d created, %d already present%n", result.created().size(), result.alreadyPresent().size());
            result.mismatches().forEach(m -> out.println("differs from the plan (left unchanged): " + m));
            out.flush();
            return 0;
        }

        private TopicSettings settings() {
            TopicSettings settings = TopicSettings.defaults().withPartitions(partitions);
            if (replicationFactor != null) {
                settings = settings.withReplicationFactor(replicationFactor);
            }
            return settings.withRetention(hours(retentionHours), hours(dlqRetentionHours));
        }

        private static Duration hours(Long h) {
            return h == null ? null : Duration.ofHours(h);
        }
    }
}
