package dev.safelora.it.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.safelora.contracts.Topic;
import dev.safelora.it.containers.ConfluentContainers;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.CompatibilityLevel;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.registry.RegistryException;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.testkit.AvroFixtures;
import dev.safelora.topics.TopicBootstrap;
import dev.safelora.topics.TopicSettings;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.ConfluentKafkaContainer;

/**
 * The registry client, the serde and the topic bootstrap against Confluent's own Schema Registry
 * and broker images: what the in-process registry imitates. Skipped where there is no Docker.
 */
@Testcontainers(disabledWithoutDocker = true)
class ConfluentSchemaRegistryCompatibilityTest {

    private static final Network NETWORK = Network.newNetwork();

    @Container
    private static final ConfluentKafkaContainer KAFKA = ConfluentContainers.kafka(NETWORK);

    @Container
    private static final GenericContainer<?> REGISTRY = ConfluentContainers.registry(NETWORK, KAFKA);

    private static final Schema V1 = SchemaBuilder.record("Widget").namespace("it.registry").fields()
            .requiredString("name").endRecord();
    private static final Schema INCOMPATIBLE = SchemaBuilder.record("Widget").namespace("it.registry").fields()
            .requiredString("name").requiredLong("weight").endRecord();

    private static String registryUrl() {
        return ConfluentContainers.url(REGISTRY);
    }

    @Test
    void theClientSpeaksConfluentsRestApi() {
        HttpSchemaRegistryClient client = HttpSchemaRegistryClient.of(registryUrl());
        int id = client.register("widgets-value", V1);
        assertThat(HttpSchemaRegistryClient.of(registryUrl()).register("widgets-value", V1)).isEqualTo(id);
        assertThat(client.schemaById(id)).isEqualTo(V1);
        assertThat(client.lookup("widgets-value", V1).version()).isEqualTo(1);
        assertThat(client.latest("widgets-value").id()).isEqualTo(id);
        assertThat(client.globalCompatibility()).isEqualTo(CompatibilityLevel.BACKWARD);
        assertThat(client.compatibility("widgets-value")).isEqualTo(CompatibilityLevel.BACKWARD);
        assertThat(client.isCompatible("widgets-value", INCOMPATIBLE)).isFalse();
        assertThatThrownBy(() -> client.register("widgets-value", INCOMPATIBLE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.errorCode()).isEqualTo(409);
                });
        assertThatThrownBy(() -> client.schemaById(999_999))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
        assertThatThrownBy(() -> client.latest("no-such-subject"))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
        client.setCompatibility("widgets-value", CompatibilityLevel.NONE);
        assertThat(client.compatibility("widgets-value")).isEqualTo(CompatibilityLevel.NONE);
    }

    @Test
    void everyTopicsValueTypeRoundTripsThroughConfluentsBrokerAndRegistry() throws Exception {
        ClientSettings settings = ClientSettings.plaintext(KAFKA.getBootstrapServers(), registryUrl());
        try (Admin admin = Admin.create(settings.adminProperties())) {
            TopicBootstrap.Result first = TopicBootstrap.run(admin, TopicSettings.defaults().withPartitions(1).withReplicationFactor((short) 1));
            assertThat(first.created()).containsAll(Topic.allTopicNames());
            assertThat(TopicBootstrap.run(admin, TopicSettings.defaults().withPartitions(1).withReplicationFactor((short) 1)).created())
                    .isEmpty();
        }
        Map<String, SpecificRecord> sent = new HashMap<>();
        long seed = 1;
        for (Topic topic : Topic.values()) {
            sent.put(topic.topicName(), AvroFixtures.sample(topic.valueClass(), seed++));
        }
        try (HttpSchemaRegistryClient registry = settings.registryClient();
             KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(settings.producerProperties(),
                     new StringSerializer(), new AvroSerializer<>(registry, true))) {
            for (var entry : sent.entrySet()) {
                producer.send(new ProducerRecord<>(entry.getKey(), "k", entry.getValue())).get();
            }
        }
        Map<String, byte[]> raw = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.standaloneConsumerProperties(),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            sent.keySet().forEach(t -> partitions.add(new TopicPartition(t, 0)));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + 60_000;
            while (raw.size() < sent.size() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    raw.put(record.topic(), record.value());
                }
            }
        }
        try (HttpSchemaRegistryClient registry = settings.registryClient()) {
            for (Topic topic : Topic.values()) {
                Object back = AvroDeserializer.specific(registry, topic.valueClass()).deserialize(topic.topicName(), raw.get(topic.topicName()));
                assertThat(back).as(topic.topicName()).isEqualTo(sent.get(topic.topicName()));
            }
        }
    }
}
