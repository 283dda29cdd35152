package dev.safelora.cli;

import java.time.Duration;
import java.util.concurrent.Callable;

import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.topics.SchemaBootstrap;
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
                "Idempotent: existing topics are left as they are and differences from the plan are reported.",
                "Then registers each topic's current value schema under <topic>-value in the schema registry (unless",
                "--no-register): subjects already holding it are left alone; a subject whose versions it is not compatible",
                "with is reported and left unchanged, and the exit status is 1."})
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

        @Option(names = "--no-register",
                description = "do not register the topics' value schemas in the schema registry")
        boolean noRegister;

        @Override
        public Integer call() {
            QuietKafkaLogs.apply();
            TopicSettings settings = OneLineErrors.optionValue(spec, this::settings);
            TopicBootstrap.Result result;
            try (Admin admin = Admin.create(cluster.reachableSettings().adminProperties())) {
                result = TopicBootstrap.run(admin, settings);
            }
            var out = spec.commandLine().getOut();
            out.printf("topics: %d created, %d already present%n", result.created().size(), result.alreadyPresent().size());
            result.mismatches().forEach(m -> out.println("differs from the plan (left unchanged): " + m));
            out.flush();
            if (noRegister) {
                return 0;
            }
            SchemaBootstrap.Result schemas;
            try (SchemaRegistryClient registry = cluster.settings().registryClient()) {
                schemas = SchemaBootstrap.run(registry);
            }
            return report(schemas, out, spec.commandLine().getErr());
        }

        /** Prints what {@link SchemaBootstrap} did; 1 when a subject holds an incompatible schema. */
        static int report(SchemaBootstrap.Result schemas, java.io.PrintWriter out, java.io.PrintWriter err) {
            out.printf("schemas: %d registered, %d already registered%n", schemas.registered().size(), schemas.alreadyRegistered().size());
            out.flush();
            schemas.incompatible().forEach(line -> err.println("incompatible schema in the registry (left unchanged): " + line));
            err.flush();
            return schemas.incompatible().isEmpty() ? 0 : 1;
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
