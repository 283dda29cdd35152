package dev.safelora.it.registry;

import dev.safelora.it.containers.ConfluentContainers;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.ConfluentKafkaContainer;

/**
 * {@link RegistryConformance}'s table against Confluent's own registry image: checks the table itself.
 * Skipped where there is no Docker.
 */
@Testcontainers(disabledWithoutDocker = true)
class ConfluentRegistryConformanceTest {

    private static final Network NETWORK = Network.newNetwork();

    @Container
    private static final ConfluentKafkaContainer KAFKA = ConfluentContainers.kafka(NETWORK);

    @Container
    private static final GenericContainer<?> REGISTRY = ConfluentContainers.registry(NETWORK, KAFKA)
            .withEnv("SCHEMA_REGISTRY_MODE_MUTABILITY", "true");

    @Test
    void confluentsRegistryAnswersAsTheTableSays() throws Exception {
        RegistryConformance.play(ConfluentContainers.url(REGISTRY));
    }
}
