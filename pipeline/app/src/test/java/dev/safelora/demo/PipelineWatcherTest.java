package dev.safelora.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.contracts.Topic;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.AlignmentErrorCode;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentFailed;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.stage.DeadLetters;
import dev.safelora.testkit.SharedCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The demo's failure lines: what the watcher makes of a failed alignment and of a dead letter. */
class PipelineWatcherTest {

    private final SharedCluster.TestCluster cluster = SharedCluster.get();
    private final ClientSettings client = cluster.clientSettings();
    private final List<String> lines = new ArrayList<>();

    @Test
    void aFailedAlignmentOfTheFamilyEndsTheRunWithItsReason() throws Exception {
        String family = "watch-" + UUID.randomUUID().toString().substring(0, 8);
        try (PipelineWatcher watcher = new PipelineWatcher(client, family, List.of("req-1"), lines::add);
             HttpSchemaRegistryClient registry = client.registryClient();
             KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(client.producerProperties(),
                     new StringSerializer(), new AvroSerializer<>(registry, true))) {
            AlignmentEvent failed = AlignmentEvent.newBuilder().setAlignmentId(UUID.randomUUID())
                    .setRegistrationId(UUID.randomUUID()).setFamily(family).setBaseUri("file:///models/base")
                    .setAlignedUri("file:///models/chat").setTargetModules(List.of("q_proj"))
                    .setCompletedAt(Instant.now())
                    .setOutcome(AlignmentFailed.newBuilder().setReason("file:///models/base: no such checkpoint directory")
                            .setErrorCode(AlignmentErrorCode.CHECKPOINT_NOT_FOUND).build())
                    .build();
            producer.send(new ProducerRecord<>(Topic.ALIGNMENTS.topicName(), family, failed)).get();

            assertThatThrownBy(() -> watcher.awaitCompletion(deadline(), Duration.ofSeconds(30)))
                    .isInstanceOf(DemoFailure.class)
                    .hasMessage("alignment of family " + family
                            + " failed: file:///models/base: no such checkpoint directory (CHECKPOINT_NOT_FOUND)");
        }
        assertThat(lines).isEmpty();
    }

    @Test
    void aDeadLetterEndsTheRunNamingTheStageTheSourceAndTheReason() throws Exception {
        try (PipelineWatcher watcher = new PipelineWatcher(client, "any", List.of("req-2"), lines::add);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client.producerProperties(),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            ProducerRecord<byte[], byte[]> dead = new ProducerRecord<>(Topic.TRAINING_JOBS.dlqName(),
                    "req-2".getBytes(StandardCharsets.UTF_8), new byte[] {0, 0, 0, 0, 9});
            dead.headers().add(DeadLetters.STAGE, "trainer".getBytes(StandardCharsets.UTF_8));
            dead.headers().add(DeadLetters.SOURCE_TOPIC, Topic.TRAINING_JOBS.topicName().getBytes(StandardCharsets.UTF_8));
            dead.headers().add(DeadLetters.ERROR_MESSAGE, "unknown schema id 9".getBytes(StandardCharsets.UTF_8));
            producer.send(dead).get();

            assertThatThrownBy(() -> watcher.awaitCompletion(deadline(), Duration.ofSeconds(30)))
                    .isInstanceOf(DemoFailure.class)
                    .hasMessage("stage trainer dead-lettered a record of safelora.training-jobs.v1 (key req-2): unknown schema id 9");
        }
    }

    @Test
    void withNothingHappeningItTimesOutSayingWhatItWaitedFor() {
        try (PipelineWatcher watcher = new PipelineWatcher(client, "quiet", List.of("req-3"), lines::add)) {
            assertThatThrownBy(() -> watcher.awaitCompletion(System.nanoTime() + Duration.ofSeconds(1).toNanos(), Duration.ofSeconds(1)))
                    .isInstanceOf(DemoFailure.class)
                    .hasMessage("timed out after 1 s waiting for the alignment (last training phase: none)");
        }
    }

    private static long deadline() {
        return System.nanoTime() + Duration.ofSeconds(30).toNanos();
    }
}
