package dev.safelora.it.containers;

import java.time.Duration;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.ConfluentKafkaContainer;

/** Confluent's broker and Schema Registry images, configured once for every test that runs against them. */
public final class ConfluentContainers {

    public static final String VERSION = "7.8.0";

    private ConfluentContainers() {
    }

    /** cp-kafka on {@code network}, reachable by the other containers as {@code kafka:19092}. */
    public static ConfluentKafkaContainer kafka(Network network) {
        return new ConfluentKafkaContainer("confluentinc/cp-kafka:" + VERSION)
                .withNetwork(network)
                .withListener("kafka:19092");
    }

    /** cp-schema-registry storing its schemas in {@code kafka}; started after it, ready once /subjects answers. */
    public static GenericContainer<?> registry(Network network, ConfluentKafkaContainer kafka) {
        return new GenericContainer<>("confluentinc/cp-schema-registry:" + VERSION)
                .withNetwork(network)
                .withExposedPorts(8081)
                .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
                .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
                .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:19092")
                .dependsOn(kafka)
                .waitingFor(Wait.forHttp("/subjects").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(2)));
    }

    /** The registry's URL as seen from the test JVM. */
    public static String url(GenericContainer<?> registry) {
        return "http://" + registry.getHost() + ":" + registry.getMappedPort(8081);
    }
}
