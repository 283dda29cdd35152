package dev.safelora.it.pipeline;

import dev.safelora.contracts.Topic;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.stage.DeadLetters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Everything on the pipeline's topics and dead-letter topics, read from the beginning as an audit consumer
 * does ({@code read_committed}, so aborted transactions never count), decoded through the registry. Reads
 * only when a test asks, on the test's thread; each test filters by its own family or request id.
 */
final class PipelineEvents implements AutoCloseable {

    /** One record as it sits on its topic; {@code value} is null for a DLQ record or bytes that do not decode. */
    record Seen(String topic, int partition, long offset, String key, Headers headers, byte[] raw, SpecificRecord value) {

        Optional<String> header(String name) {
            return Optional.ofNullable(DeadLetters.header(headers, name));
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final HttpSchemaRegistryClient registry;
    private final Map<Topic, AvroDeserializer<? extends SpecificRecord>> decoders = new EnumMap<>(Topic.class);
    private final List<Seen> seen = new ArrayList<>();

    PipelineEvents(ClientSettings cluster) {
        this.registry = cluster.registryClient();
        for (Topic topic : Topic.values()) {
            decoders.put(topic, AvroDeserializer.specific(registry, topic.valueClass()));
        }
        Map<String, Object> props = cluster.standaloneConsumerProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "it-pipeline-events");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (Topic topic : Topic.values()) {
            for (String name : List.of(topic.topicName(), topic.dlqName())) {
                consumer.partitionsFor(name, Duration.ofSeconds(30)).forEach(p -> partitions.add(new TopicPartition(name, p.partition())));
            }
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Values of {@code type} on {@code topic} that match, in the order read (per partition, offset order). */
    <T extends SpecificRecord> List<T> values(Topic topic, Class<T> type, Predicate<T> filter) {
        List<T> out = new ArrayList<>();
        for (Seen s : seen) {
            if (s.topic().equals(topic.topicName()) && type.isInstance(s.value()) && filter.test(type.cast(s.value()))) {
                out.add(type.cast(s.value()));
            }
        }
        return out;
    }

    /** Dead letters of {@code topic}'s DLQ whose original key is {@code key}. */
    List<Seen> deadLetters(Topic topic, String key) {
        return seen.stream().filter(s -> s.topic().equals(topic.dlqName()) && key.equals(s.key())).toList();
    }

    /** Reads until {@code condition} yields a value, or fails after {@code timeout} saying what it waited for. */
    <R> R await(String what, Duration timeout, Supplier<Optional<R>> condition, Supplier<String> diagnostics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<R> result = condition.get();
            if (result.isPresent()) {
                return result.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + timeout.toSeconds() + " s for " + what + "\n" + diagnostics.get());
            }
            poll(Duration.ofMillis(200));
        }
    }

    /** Reads every partition up to its end as of now (the last stable offset: open transactions are not waited for). */
    void catchUp() {
        Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(30));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("could not read the topics to their ends within 60 s");
            }
            poll(Duration.ofMillis(100));
        }
    }

    private void poll(Duration timeout) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
            seen.add(new Seen(r.topic(), r.partition(), r.offset(), r.key(), r.headers(), r.value(), decode(r)));
        }
    }

    private SpecificRecord decode(ConsumerRecord<String, byte[]> r) {
        Optional<Topic> topic = Topic.byName(r.topic());
        if (topic.isEmpty() || r.value() == null) {
            return null;
        }
        try {
            return decoders.get(topic.get()).deserialize(r.topic(), r.headers(), r.value());
        } catch (RuntimeException notAvro) {
            return null; // the poison pills the tests produce themselves
        }
    }

    /** A short listing of what was seen for a family or request, for failure messages. */
    String describe(String... ids) {
        StringBuilder sb = new StringBuilder("records seen for " + String.join(", ", ids) + ":\n");
        for (Seen s : seen) {
            String text = s.value() == null ? "<" + s.raw().length + " bytes>" : s.value().toString();
            for (String id : ids) {
                if ((s.key() != null && s.key().contains(id)) || text.contains(id)) {
                    sb.append("  ").append(s.topic()).append('/').append(s.partition()).append('@').append(s.offset())
                            .append(" key=").append(s.key()).append(' ')
                            .append(text.length() > 300 ? text.substring(0, 300) + "..." : text).append('\n');
                    break;
                }
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        try {
            consumer.close(Duration.ofSeconds(5));
        } finally {
            registry.close();
        }
    }
}
