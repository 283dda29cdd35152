package dev.safelora.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest {

    /** The controller's port is picked after the client one; the system may hand the client's out again. */
    @Test
    void theControllerPortSkipsTheClientPortWhenTheSystemOffersItAgain() {
        java.util.PrimitiveIterator.OfInt offered = java.util.stream.IntStream.of(9092, 9092, 9093).iterator();
        assertThat(EmbeddedKafkaBroker.portOtherThan(offered::nextInt, 9092, "localhost")).isEqualTo(9093);
        assertThatThrownBy(() -> EmbeddedKafkaBroker.portOtherThan(() -> 9092, 9092, "localhost"))
                .hasMessageContaining("no free port on localhost other than 9092");
    }

    @TempDir
    Path dir;

    @Test
    void recordsSurviveARestartOnTheSameDataDirectory() throws Exception {
        String clusterId;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerSettings.defaults(dir))) {
            clusterId = broker.clusterId();
            try (Admin admin = Admin.create(broker.clientProperties())) {
                admin.createTopics(List.of(new NewTopic("t", 1, (short) 1))).all().get();
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("t", "k", "hello")).get();
            }
        }
        // a fresh start on the same directory: new ports, same cluster, same record
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerSettings.defaults(dir))) {
            assertThat(broker.clusterId()).isEqualTo(clusterId);
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(BrokerSettings.defaults(dir)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("Kafka data directory " + dir.toAbsolutePath()
                            + " is in use by another running broker; stop it or choose another directory");
            try (Admin admin = Admin.create(broker.clientProperties())) {
                assertThat(admin.listTopics().names().get()).contains("t");
            }
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                    new StringDeserializer(), new StringDeserializer())) {
                TopicPartition tp = new TopicPartition("t", 0);
                consumer.assign(Set.of(tp));
                consumer.seekToBeginning(Set.of(tp));
                List<ConsumerRecord<String, String>> got = new java.util.ArrayList<>();
                long deadline = System.currentTimeMillis() + 20_000;
                while (got.isEmpty() && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(got::add);
                }
                assertThat(got).extracting(ConsumerRecord::key, ConsumerRecord::value)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("k", "hello"));
            }
        }
    }
}
