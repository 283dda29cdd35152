package dev.safelora.planner;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.safelora.contracts.Topic;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.ProjectionJob;
import dev.safelora.schema.TrainingJob;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.stage.DeadLetters;
import dev.safelora.stage.StageConfig;
import dev.safelora.testkit.SharedCluster;

/** The planner application end to end on the in-process KRaft broker and registry (exactly-once, real topics). */
class PlannerAppTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path workDir;

    @Test
    void plansTrainingAndRefreshJobsAndDeadLettersAPoisonPillOnARealBroker() throws Exception {
        SharedCluster.TestCluster cluster = SharedCluster.get();
        HttpSchemaRegistryClient registry = cluster.registryClient();
        String run = UUID.randomUUID().toString().substring(0, 8);
        String family = "fam-" + run;
        String otherFamily = "other-" + run;
        String parked = "parked-" + run;
        String early = "early-" + run;
        String late = "late-" + run;
        StageConfig config = StageConfig.of("planner", fastFailover(cluster), Map.of(
                "group.id", "planner-e2e-" + run, "work.dir", workDir.toString(), "metrics.port", "0",
                "artifacts.uri", "file:///srv/artifacts", "topics", String.join(",", PlannerApp.INPUT_TOPICS)));

        try (PlannerApp app = PlannerApp.start(config, new PlannerMetrics());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.clientSettings().producerProperties(),
                     new StringSerializer(), new ByteArraySerializer())) {
            assertThat(app.awaitRunning(WAIT)).as("planner reaches RUNNING").isTrue();
            double metricsBefore = app.metrics().parkedRequests();
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + app.metricsPort() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"UP\"");

            AvroSerializer<SpecificRecord> avro = new AvroSerializer<>(registry, true);
            String poison = "poison-" + run;
            send(producer, avro, Topic.TRAINING_REQUESTS, early, PlannerRecords.request(early, family));
            producer.send(new ProducerRecord<>(Topic.TRAINING_REQUESTS.topicName(), poison,
                    new byte[] {0x13, 0x37, 0x00, 0x01, 0x02, 0x03})).get();
            AlignmentEvent first = PlannerRecords.ready(family, UUID.randomUUID(), "base-1", "aligned-1");
            send(producer, avro, Topic.ALIGNMENTS, family, first);
            send(producer, avro, Topic.TRAINING_REQUESTS, late, PlannerRecords.request(late, family));

            List<TrainingJob> jobs = await(Topic.TRAINING_JOBS, AvroDeserializer.specific(registry, TrainingJob.class),
                    r -> r.value() != null && family.equals(r.value().getFamily()), 2).stream().map(ConsumerRecord::value).toList();
            assertThat(jobs).extracting(TrainingJob::getRequestId).containsExactlyInAnyOrder(early, late);
            assertThat(jobs).allSatisfy(job -> {
                assertThat(job.getAlignment().getAlignmentId()).isEqualTo(first.getAlignmentId());
                assertThat(job.getReason()).isEqualTo(LineageReason.NEW_TRAINING);
                assertThat(job.getOutputUri()).isEqualTo("file:///srv/artifacts/adapters/" + job.getAdapterId());
            });

            ConsumerRecord<String, byte[]> dead = await(Topic.TRAINING_REQUESTS.dlqName(), new ByteArrayDeserializer(),
                    r -> poison.equals(r.key()), 1).get(0);
            assertThat(dead.value()).containsExactly(0x13, 0x37, 0x00, 0x01, 0x02, 0x03);
            assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(Topic.TRAINING_REQUESTS.topicName());
            assertThat(DeadLetters.header(dead.headers(), DeadLetters.ERROR_MESSAGE)).contains("magic byte 0x13");
            assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_OFFSET)).matches("\\d+");

            // the trainer publishes the early request's adapter; a new aligned checkpoint re-projects it
            TrainingJob earlyJob = jobs.stream().filter(j -> j.getRequestId().equals(early)).findFirst().orElseThrow();
            AdapterPublished adapter = PlannerRecords.publishedFrom(earlyJob);
            long adaptersBefore = app.metrics().processed(Topic.ADAPTERS.topicName());
            send(producer, avro, Topic.ADAPTERS, adapter.getAdapterId(), adapter);
            AlignmentEvent second = PlannerRecords.ready(family, UUID.randomUUID(), "base-1", "aligned-2");
            Awaitility.await("the adapter indexed, then known to its family's task through the repartition topic").atMost(WAIT)
                    .until(() -> app.metrics().processed(Topic.ADAPTERS.topicName()) >= adaptersBefore + 2);
            send(producer, avro, Topic.ALIGNMENTS, family, second);

            ProjectionJob refresh = await(Topic.PROJECTION_JOBS, AvroDeserializer.specific(registry, ProjectionJob.class),
                    r -> r.value() != null && family.equals(r.value().getFamily()), 1).get(0).value();
            assertThat(refresh.getSourceAdapterId()).isEqualTo(adapter.getAdapterId());
            assertThat(refresh.getReason()).isEqualTo(LineageReason.ALIGNMENT_CHANGED);
            assertThat(refresh.getAlignment().getAlignmentId()).isEqualTo(second.getAlignmentId());

            HttpResponse<String> scrape = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + app.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.body())
                    .contains("safelora_planner_records_total{topic=\"" + Topic.TRAINING_REQUESTS.topicName() + "\"}")
                    .contains("safelora_planner_dead_letters_total{cause=\"DESERIALIZATION\",topic=\"" + Topic.TRAINING_REQUESTS.topicName() + "\"}")
                    .contains("safelora_planner_consumer_lag{partition=\"0\",topic=\"" + Topic.ALIGNMENTS.topicName() + "\"}");

            // a request of a family without alignment waits in the state store...
            send(producer, avro, Topic.TRAINING_REQUESTS, parked, PlannerRecords.request(parked, otherFamily));
            awaitParked(cluster, app, metricsBefore, "planner-e2e-" + run);
        }

        // ...and survives a restart on another machine (empty work dir: the store is restored from its changelog)
        StageConfig moved = StageConfig.of("planner", fastFailover(cluster), Map.of(
                "group.id", "planner-e2e-" + run, "work.dir", workDir.resolve("other-host").toString(), "metrics.port", "0",
                "artifacts.uri", "file:///srv/artifacts", "topics", String.join(",", PlannerApp.INPUT_TOPICS)));
        try (PlannerApp app = PlannerApp.start(moved, new PlannerMetrics());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.clientSettings().producerProperties(),
                     new StringSerializer(), new ByteArraySerializer())) {
            assertThat(app.awaitRunning(WAIT)).as("restarted planner reaches RUNNING").isTrue();
            send(producer, new AvroSerializer<>(registry, true), Topic.ALIGNMENTS, otherFamily,
                    PlannerRecords.ready(otherFamily, UUID.randomUUID(), "base-x", "aligned-x"));
            TrainingJob released = await(Topic.TRAINING_JOBS, AvroDeserializer.specific(registry, TrainingJob.class),
                    r -> r.value() != null && otherFamily.equals(r.value().getFamily()), 1).get(0).value();
            assertThat(released.getRequestId()).isEqualTo(parked);
        }
        // exactly once: nothing was planned twice across the restart
        assertThat(readAll(Topic.TRAINING_JOBS, AvroDeserializer.specific(registry, TrainingJob.class)).stream()
                .filter(r -> r.value() != null && (family.equals(r.value().getFamily()) || otherFamily.equals(r.value().getFamily())))
                .map(ConsumerRecord::key)).containsExactlyInAnyOrder(early, late, parked);
        assertThat(readAll(Topic.PROJECTION_JOBS, AvroDeserializer.specific(registry, ProjectionJob.class)).stream()
                .filter(r -> r.value() != null && family.equals(r.value().getFamily()))).hasSize(1);
    }

    /**
     * Waits until the planner has parked one more request and committed it with its state: the group's committed
     * offsets on the training-request partitions reach their log end (the exactly-once commit, markers included).
     */
    private static void awaitParked(SharedCluster.TestCluster cluster, PlannerApp app, double before, String group) {
        Awaitility.await("the planner parks the request").atMost(WAIT).until(() -> app.metrics().parkedRequests() > before);
        try (Admin admin = Admin.create(cluster.clientSettings().adminProperties())) {
            Awaitility.await("the planner commits the parked request").atMost(WAIT).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                                .partitionsToOffsetAndMetadata().get();
                        Map<TopicPartition, OffsetSpec> ends = new java.util.HashMap<>();
                        committed.keySet().stream().filter(tp -> tp.topic().equals(Topic.TRAINING_REQUESTS.topicName()))
                                .forEach(tp -> ends.put(tp, OffsetSpec.latest()));
                        if (ends.isEmpty()) {
                            return false;
                        }
                        var latest = admin.listOffsets(ends).all().get();
                        return ends.keySet().stream().allMatch(tp -> committed.get(tp).offset() == latest.get(tp).offset());
                    });
        }
    }

    /** The restarted planner need not wait the default 45 s for the group to drop the stopped one. */
    private static ClientSettings fastFailover(SharedCluster.TestCluster cluster) {
        ClientSettings settings = cluster.clientSettings();
        Map<String, String> kafka = new java.util.HashMap<>(settings.kafka());
        kafka.put("consumer.session.timeout.ms", "6000");
        kafka.put("consumer.heartbeat.interval.ms", "1000");
        return new ClientSettings(settings.bootstrapServers(), settings.registry(), kafka);
    }

    private static void send(KafkaProducer<String, byte[]> producer, AvroSerializer<SpecificRecord> avro, Topic topic, String key,
                             SpecificRecord value) throws Exception {
        producer.send(new ProducerRecord<>(topic.topicName(), key, avro.serialize(topic.topicName(), value))).get();
    }

    private static <V> List<ConsumerRecord<String, V>> await(Topic topic, Deserializer<V> values,
                                                             Predicate<ConsumerRecord<String, V>> wanted, int count) {
        return await(topic.topicName(), values, wanted, count);
    }

    /** Every committed record of {@code topic} up to its current end. */
    private static <V> List<ConsumerRecord<String, V>> readAll(Topic topic, Deserializer<V> values) {
        Map<String, Object> props = SharedCluster.get().clientSettings().standaloneConsumerProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, V>> all = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.topicName()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
            }
        }
        return all;
    }

    /** Reads {@code topic} from the beginning (committed records only) until {@code count} wanted records arrived. */
    private static <V> List<ConsumerRecord<String, V>> await(String topic, Deserializer<V> values,
                                                             Predicate<ConsumerRecord<String, V>> wanted, int count) {
        Map<String, Object> props = SharedCluster.get().clientSettings().consumerProperties("planner-e2e-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, V>> found = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (found.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(200))) {
                    if (wanted.test(record)) {
                        found.add(record);
                    }
                }
            }
        }
        assertThat(found).as("records wanted on " + topic).hasSize(count);
        return found;
    }
}
