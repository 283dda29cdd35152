package dev.safelora.stage;

import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.RegistryClientConfig;
import dev.safelora.testkit.SharedBroker;
import dev.safelora.testkit.SharedCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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

/** Helpers for the stage tests on the shared in-process broker: topics, produce, read back, HTTP, metrics. */
final class StageTestKit {

    private StageTestKit() {}

    static String bootstrap() {
        return SharedBroker.bootstrapServers();
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static void createTopics(int partitions, String... names) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
            List<NewTopic> topics = new ArrayList<>();
            for (String n : names) {
                topics.add(new NewTopic(n, partitions, (short) 1));
            }
            admin.createTopics(topics).all().get();
        }
    }

    /**
     * A configuration for tests: free metrics port, quick polls and backoffs, the given extra stage keys;
     * {@code kafka.}-prefixed extras go to the client settings (without the prefix).
     */
    private static final java.util.concurrent.atomic.AtomicInteger INSTANCES = new java.util.concurrent.atomic.AtomicInteger();

    static StageConfig config(String stage, String group, String topic, Path workDir, Map<String, String> extra) {
        Map<String, String> p = new HashMap<>();
        p.put("group.id", group);
        p.put("topics", topic);
        p.put("metrics.port", "0");
        p.put("work.dir", workDir.toString());
        p.put("poll.timeout", "100ms");
        p.put("retry.backoff.initial", "100ms");
        p.put("retry.backoff.max", "400ms");
        p.put("shutdown.deadline", "10s");
        p.put("shutdown.cancel.grace", "5s");
        p.put("health.stale.after", "5s");
        // Several loops of one group run in this JVM: each its own instance, so their transactional ids differ.
        p.put("instance.id", "test-" + INSTANCES.incrementAndGet());
        Map<String, String> kafka = new HashMap<>();
        kafka.put("consumer.session.timeout.ms", "6000");
        kafka.put("consumer.heartbeat.interval.ms", "500");
        extra.forEach((k, v) -> {
            if (k.startsWith("kafka.")) {
                kafka.put(k.substring("kafka.".length()), v);
            } else {
                p.put(k, v);
            }
        });
        ClientSettings client = new ClientSettings(bootstrap(), RegistryClientConfig.of(SharedCluster.get().registryUrl()), kafka);
        return StageConfig.of(stage, client, p);
    }

    static void produce(List<ProducerRecord<byte[], byte[]>> records) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            for (ProducerRecord<byte[], byte[]> r : records) {
                p.send(r).get();
            }
        }
    }

    static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /** Every record of the topic at this moment, partition by partition, in offset order. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(pi -> new TopicPartition(topic, pi.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> ends = c.endOffsets(tps);
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (tps.stream().anyMatch(tp -> c.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
            }
            return out;
        }
    }

    static List<String> values(String topic) {
        return readAll(topic).stream().map(r -> new String(r.value())).collect(Collectors.toList());
    }

    /** Committed next offsets of the group, by partition number, for one topic. */
    static Map<Integer, Long> committed(String group, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
            Map<TopicPartition, OffsetAndMetadata> offsets =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            Map<Integer, Long> out = new HashMap<>();
            offsets.forEach((tp, om) -> {
                if (tp.topic().equals(topic) && om != null) {
                    out.put(tp.partition(), om.offset());
                }
            });
            return out;
        }
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        // A loop that ends by throwing (a process fault) is what some tests wait for: its thread's exception is the
        // loop's failure(), asserted by the test, not a failure of the wait.
        org.awaitility.Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(50)).dontCatchUncaughtExceptions()
                .until(condition::getAsBoolean);
    }

    record Http(int status, String body) {}

    static Http get(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Http(r.statusCode(), r.body());
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})? (\\S+)$");

    /**
     * The value of the sample {@code name} whose labels include {@code labels}, from Prometheus text
     * exposition; null when there is none.
     */
    static Double sample(String exposition, String name, Map<String, String> labels) {
        for (String line : exposition.split("\n")) {
            Matcher m = SAMPLE.matcher(line.trim());
            if (!m.matches() || !m.group(1).equals(name)) {
                continue;
            }
            Map<String, String> have = new HashMap<>();
            if (m.group(3) != null) {
                for (String pair : m.group(3).split(",")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0) {
                        have.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim().replaceAll("^\"|\"$", ""));
                    }
                }
            }
            if (have.entrySet().containsAll(labels.entrySet())) {
                return Double.parseDouble(m.group(4));
            }
        }
        return null;
    }

    static Set<String> headerKeys(ConsumerRecord<byte[], byte[]> r) {
        Set<String> keys = new java.util.TreeSet<>();
        r.headers().forEach(h -> keys.add(h.key()));
        return keys;
    }
}
