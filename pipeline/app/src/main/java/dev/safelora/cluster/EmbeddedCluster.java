package dev.safelora.cluster;

import java.nio.file.Path;
import java.time.Duration;

import dev.safelora.broker.BrokerSettings;
import dev.safelora.broker.EmbeddedKafkaBroker;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.registry.server.RegistryServerSettings;
import dev.safelora.registry.server.SchemaRegistryServer;
import dev.safelora.topics.TopicBootstrap;
import dev.safelora.topics.TopicSettings;
import org.apache.kafka.clients.admin.Admin;

/**
 * Broker, schema registry and every pipeline topic in this process: what {@code dev-cluster},
 * {@code demo} and the tests start.
 *
 * <pre>{@code
 * try (EmbeddedCluster cluster = EmbeddedCluster.start(EmbeddedCluster.Settings.temporary(dir))) {
 *     ClientSettings client = cluster.clientSettings();   // bootstrap + registry URL for stages
 * }
 * }</pre>
 */
public final class EmbeddedCluster implements AutoCloseable {

    /**
     * @param broker   how to start the broker (its data directory is kept across restarts)
     * @param registryHost interface for the registry's HTTP server
     * @param registryPort registry HTTP port, 0 for a free one
     * @param topics   sizing of the pipeline topics
     */
    public record Settings(BrokerSettings broker, String registryHost, int registryPort, TopicSettings topics) {

        /** Free ports on localhost, one partition per topic, data in {@code dataDir}. */
        public static Settings of(Path dataDir) {
            return new Settings(BrokerSettings.defaults(dataDir), "localhost", 0,
                    TopicSettings.defaults().withPartitions(1).withReplicationFactor((short) 1));
        }

        public Settings withPartitions(int partitions) {
            return new Settings(broker.withDefaultPartitions(partitions), registryHost, registryPort, topics.withPartitions(partitions));
        }
    }

    private final EmbeddedKafkaBroker broker;
    private final SchemaRegistryServer registry;
    private final TopicBootstrap.Result topics;
    private final Duration startupTime;

    private EmbeddedCluster(EmbeddedKafkaBroker broker, SchemaRegistryServer registry, TopicBootstrap.Result topics,
                            Duration startupTime) {
        this.broker = broker;
        this.registry = registry;
        this.topics = topics;
        this.startupTime = startupTime;
    }

    /** Starts the broker, creates the topics that are missing, then starts the registry on {@code _schemas}. */
    public static EmbeddedCluster start(Settings settings) {
        long begin = System.nanoTime();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(settings.broker());
        try {
            TopicBootstrap.Result topics;
            try (Admin admin = Admin.create(broker.clientProperties())) {
                topics = TopicBootstrap.run(admin, settings.topics());
            }
            SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryServerSettings.defaults(broker.bootstrapServers())
                    .withHost(settings.registryHost()).withPort(settings.registryPort()));
            return new EmbeddedCluster(broker, registry, topics, Duration.ofNanos(System.nanoTime() - begin));
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    public EmbeddedKafkaBroker broker() {
        return broker;
    }

    public SchemaRegistryServer registry() {
        return registry;
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public String registryUrl() {
        return registry.url();
    }

    /** What the topic bootstrap did on this start. */
    public TopicBootstrap.Result topics() {
        return topics;
    }

    public Duration startupTime() {
        return startupTime;
    }

    /** Plaintext client settings pointing at this cluster. */
    public ClientSettings clientSettings() {
        return ClientSettings.plaintext(bootstrapServers(), registryUrl());
    }

    public HttpSchemaRegistryClient registryClient() {
        return HttpSchemaRegistryClient.of(registryUrl());
    }

    /** Stops the registry, then the broker, waiting for both. */
    @Override
    public void close() {
        try {
            registry.close();
        } finally {
            broker.close();
        }
    }
}
