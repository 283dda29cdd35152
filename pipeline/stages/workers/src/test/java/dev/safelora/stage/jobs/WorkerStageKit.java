package dev.safelora.stage.jobs;

import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.registry.RegistryClientConfig;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.stage.StageConfig;
import dev.safelora.testkit.SharedCluster;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The worker-stage tests' world: the shared in-process broker and registry, a fresh set of topics per test
 * (the stage's input, its DLQ and its outputs), and helpers to produce Avro records or raw bytes and read
 * events back as read_committed consumers do.
 */
public final class WorkerStageKit {

    public final String input;
    public final String alignments;
    public final String adapters;
    public final String evaluations;
    public final String progress;
    public final String group;
    private final Path workDir;

    public WorkerStageKit(String stage, Path workDir) throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        this.input = stage + "-in-" + id;
        this.alignments = "alignments-" + id;
        this.adapters = "adapters-" + id;
        this.evaluations = "evaluations-" + id;
        this.progress = "progress-" + id;
        this.group = stage + "-group-" + id;
        this.workDir = workDir;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
            List<NewTopic> topics = new ArrayList<>();
            for (String t : List.of(input, input + ".dlq", alignments, adapters, evaluations, progress)) {
                topics.add(new NewTopic(t, 1, (short) 1));
            }
            admin.createTopics(topics).all().get();
        }
    }

    public static String bootstrap() {
        return SharedCluster.get().broker().bootstrapServers();
    }

    public static HttpSchemaRegistryClient registry() {
        return SharedCluster.get().registryClient();
    }

    public URI artifactsRoot() {
        return workDir.resolve("artifacts").toUri();
    }

    /** A stage configuration on this kit's topics: quick polls and backoffs, free metrics port, extra stage keys. */
    public StageConfig config(String stage, Map<String, String> extra) {
        Map<String, String> p = new HashMap<>();
        p.put("group.id", group);
        p.put("topics", input);
        p.put("metrics.port", "0");
        p.put("work.dir", workDir.resolve("work").toString());
        p.put("poll.timeout", "100ms");
        p.put("retry.backoff.initial", "100ms");
        p.put("retry.backoff.max", "400ms");
        p.put("shutdown.deadline", "20s");
        p.put("shutdown.cancel.grace", "10s");
        p.put("artifacts.uri", artifactsRoot().toString());
        // The tests' checkpoints and data sets live in JUnit temporary directories next to the work dir.
        p.put("inputs.allowed", Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().toUri().toString());
        p.put("topic.alignments", alignments);
        p.put("topic.adapters", adapters);
        p.put("topic.evaluations", evaluations);
        p.put("topic.progress", progress);
        p.putAll(extra);
        Map<String, String> kafka = Map.of("consumer.session.timeout.ms", "6000", "consumer.heartbeat.interval.ms", "500");
        ClientSettings client = new ClientSettings(bootstrap(), RegistryClientConfig.of(SharedCluster.get().registryUrl()), kafka);
        return StageConfig.of(stage, client, p);
    }

    public void produce(String key, SpecificRecord value) throws Exception {
        produceBytes(key, new AvroSerializer<SpecificRecord>(registry(), true).serialize(input, value));
    }

    public void produceBytes(String key, byte[] value) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            p.send(new ProducerRecord<>(input, key.getBytes(java.nio.charset.StandardCharsets.UTF_8), value)).get();
        }
    }

    /** Every committed record of the topic now, in offset order. */
    public static List<ConsumerRecord<byte[], byte[]>> records(String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
            }
            return out;
        }
    }

    /** The topic's committed values decoded as {@code type}. */
    public static <T extends SpecificRecord> List<T> events(String topic, Class<T> type) {
        AvroDeserializer<T> reader = AvroDeserializer.specific(registry(), type);
        return records(topic).stream().map(r -> reader.deserialize(topic, r.value())).toList();
    }

    /** The group's committed next offset on partition 0 of the input topic (-1 when none). */
    public long committed() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
            OffsetAndMetadata om = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(input, 0));
            return om == null ? -1 : om.offset();
        }
    }

    public static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            Thread.sleep(100);
        }
    }

    public void awaitCommitted(long offset, Duration timeout) throws InterruptedException {
        await("offset " + offset + " committed by " + group, timeout, () -> {
            try {
                return committed() >= offset;
            } catch (Exception e) {
                return false;
            }
        });
    }
}
