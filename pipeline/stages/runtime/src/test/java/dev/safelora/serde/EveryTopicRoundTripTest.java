package dev.safelora.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.testkit.AvroFixtures;
import dev.safelora.testkit.SharedCluster;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * One record of every topic's value type through the in-process
 * broker, the serde and the registry over HTTP, read back equal into the generated classes.
 */
class EveryTopicRoundTripTest {

    @Test
    void everyTopicsValueTypeSurvivesProduceAndConsume() {
        SharedCluster.TestCluster cluster = SharedCluster.get();
        Map<String, SpecificRecord> sent = new HashMap<>();
        long seed = 100;
        for (Topic topic : Topic.values()) {
            sent.put(topic.topicName(), AvroFixtures.sample(topic.valueClass(), seed++));
        }

        try (HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.of(cluster.registryUrl());
             KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(cluster.clientSettings().producerProperties(),
                     new StringSerializer(), new AvroSerializer<>(registry, true))) {
            for (var entry : sent.entrySet()) {
                producer.send(new ProducerRecord<>(entry.getKey(), "key-of-" + entry.getKey(), entry.getValue()));
            }
            producer.flush();
        }

        // one consumer over every topic; each value decoded by the serde with a fresh registry client, so
        // every writer schema comes from the registry over HTTP, nothing from the producer's cache
        Map<String, byte[]> raw = readEveryTopic(cluster, sent.keySet());
        Map<String, Object> received = new HashMap<>();
        try (HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.of(cluster.registryUrl())) {
            for (Topic topic : Topic.values()) {
                received.put(topic.topicName(), AvroDeserializer.specific(registry, topic.valueClass())
                        .deserialize(topic.topicName(), raw.get(topic.topicName())));
            }
            for (Topic topic : Topic.values()) {
                assertThat(registry.latest(topic.topicName() + "-value").schema()).isEqualTo(topic.valueSchema());
            }
        }
        assertThat(received).hasSize(Topic.values().length);
        for (var entry : sent.entrySet()) {
            assertThat(received.get(entry.getKey())).as(entry.getKey()).isEqualTo(entry.getValue());
        }
    }

    private static Map<String, byte[]> readEveryTopic(SharedCluster.TestCluster cluster, java.util.Set<String> topics) {
        Map<String, byte[]> values = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(cluster.clientSettings().standaloneConsumerProperties(),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + 30_000;
            while (values.size() < topics.size() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.key().equals("key-of-" + record.topic())) {
                        values.put(record.topic(), record.value());
                    }
                }
            }
        }
        assertThat(values.keySet()).as("topics read back").containsExactlyInAnyOrderElementsOf(topics);
        return values;
    }
}
