package dev.safelora.it.pipeline;

import dev.safelora.kafka.ClientSettings;
import dev.safelora.topics.TopicBootstrap;
import dev.safelora.topics.TopicSettings;
import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.ConfluentKafkaContainer;

/**
 * Confluent's broker and Schema Registry images in Docker (Testcontainers), the pipeline topics created by
 * {@link TopicBootstrap} as {@code safelora topics create} does. Only constructed where Docker exists.
 */
final class ContainerCluster implements PipelineCluster {

    static final String CONFLUENT_VERSION = "7.8.0";

    private final Network network = Network.newNetwork();
    private final ConfluentKafkaContainer kafka;
    private final GenericContainer<?> registry;

    ContainerCluster() {
        kafka = new ConfluentKafkaContainer("confluentinc/cp-kafka:" + CONFLUENT_VERSION)
                .withNetwork(network)
                .withListener("kafka:19092")
                // one broker: the planner's and the worker stages' transactions need these internal topics at RF 1
                .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        registry = new GenericContainer<>("confluentinc/cp-schema-registry:" + CONFLUENT_VERSION)
                .withNetwork(network)
                .withExposedPorts(8081)
                .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
                .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
                .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:19092")
                .dependsOn(kafka)
                .waitingFor(Wait.forHttp("/subjects").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(2)));
        try {
            kafka.start();
            registry.start();
            try (Admin admin = Admin.create(clientSettings().adminProperties())) {
                TopicBootstrap.run(admin, TopicSettings.defaults().withPartitions(InProcessCluster.PARTITIONS)
                        .withReplicationFactor((short) 1));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private String registryUrl() {
        return "http://" + registry.getHost() + ":" + registry.getMappedPort(8081);
    }

    @Override
    public ClientSettings clientSettings() {
        return ClientSettings.plaintext(kafka.getBootstrapServers(), registryUrl());
    }

    @Override
    public String describe() {
        return "cp-kafka " + CONFLUENT_VERSION + " at " + kafka.getBootstrapServers() + ", cp-schema-registry at " + registryUrl();
    }

    @Override
    public void close() {
        registry.stop();
        kafka.stop();
        network.close();
    }
}
