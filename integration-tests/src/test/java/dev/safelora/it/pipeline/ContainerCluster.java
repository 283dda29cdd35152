package dev.safelora.it.pipeline;

import dev.safelora.it.containers.ConfluentContainers;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.topics.TopicBootstrap;
import dev.safelora.topics.TopicSettings;
import org.apache.kafka.clients.admin.Admin;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.kafka.ConfluentKafkaContainer;

/**
 * Confluent's broker and Schema Registry images in Docker (Testcontainers), the pipeline topics created by
 * {@link TopicBootstrap} as {@code safelora topics create} does. Only constructed where Docker exists.
 */
final class ContainerCluster implements PipelineCluster {

    private final Network network = Network.newNetwork();
    private final ConfluentKafkaContainer kafka;
    private final GenericContainer<?> registry;

    ContainerCluster() {
        kafka = ConfluentContainers.kafka(network)
                // one broker: the planner's and the worker stages' transactions need these internal topics at RF 1
                .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
        registry = ConfluentContainers.registry(network, kafka);
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
        return ConfluentContainers.url(registry);
    }

    @Override
    public ClientSettings clientSettings() {
        return ClientSettings.plaintext(kafka.getBootstrapServers(), registryUrl());
    }

    @Override
    public String describe() {
        return "cp-kafka " + ConfluentContainers.VERSION + " at " + kafka.getBootstrapServers() + ", cp-schema-registry at " + registryUrl();
    }

    @Override
    public void close() {
        registry.stop();
        kafka.stop();
        network.close();
    }
}
