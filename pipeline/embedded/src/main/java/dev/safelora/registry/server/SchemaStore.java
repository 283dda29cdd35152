package dev.safelora.registry.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's state (schemas by id, subject versions, compatibility config), kept as a log in
 * a single-partition compacted Kafka topic and rebuilt from it on start. Records use the same
 * JSON key/value shapes as Confluent's {@code _schemas} topic. One store writes a topic at a
 * time; every method is synchronized, and a write is acknowledged by the broker before it
 * becomes visible.
 */
final class SchemaStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaStore.class);
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

    private final ObjectMapper json = new ObjectMapper();
    private final String topic;
    private final KafkaProducer<String, String> producer;

    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, Integer> idsByCanonical = new HashMap<>();
    private final Map<String, TreeMap<Integer, Integer>> subjectVersions = new TreeMap<>(); // subject -> version -> id
    private final Map<String, Compatibility> subjectLevels = new HashMap<>();
    private Compatibility globalLevel;
    private int maxId;

    private SchemaStore(String topic, KafkaProducer<String, String> producer, Compatibility defaultLevel) {
        this.topic = topic;
        this.producer = producer;
        this.globalLevel = defaultLevel;
    }

    /** Creates the topic if missing, replays it, and returns a store ready for writes. */
    static SchemaStore open(String bootstrapServers, String topic, Compatibility defaultLevel) {
        ensureTopic(bootstrapServers, topic);
        KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.CLIENT_ID_CONFIG, "safelora-schema-registry"),
                new StringSerializer(), new StringSerializer());
        SchemaStore store = new SchemaStore(topic, producer, defaultLevel);
        try {
            store.replay(bootstrapServers);
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
        return store;
    }

    private static void ensureTopic(String bootstrapServers, String topic) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            if (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
                return;
            }
            int brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
            NewTopic newTopic = new NewTopic(topic, 1, (short) Math.min(3, brokers))
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            try {
                admin.createTopics(List.of(newTopic)).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("schema registry cannot create its topic '" + topic + "' on "
                    + bootstrapServers + ": " + (e.getCause() == null ? e : e.getCause()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + topic, e);
        }
    }

    private void replay(String bootstrapServers) {
        TopicPartition partition = new TopicPartition(topic, 0);
        int count = 0;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.CLIENT_ID_CONFIG, "safelora-schema-registry-replay"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(Set.of(partition));
            consumer.seekToBeginning(Set.of(partition));
            long end = consumer.endOffsets(Set.of(partition), Duration.ofSeconds(30)).get(partition);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (consumer.position(partition, Duration.ofSeconds(30)) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("schema registry could not replay topic '" + topic + "' to offset "
                            + end + " within 60 s");
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    apply(record.key(), record.value());
                    count++;
                }
            }
        }
        LOG.info("schema registry replayed {} records from '{}': {} schemas, {} subjects", count, topic,
                schemasById.size(), subjectVersions.size());
    }

    private void apply(String key, String value) {
        try {
            JsonNode k = json.readTree(key);
            String keyType = k.path("keytype").asText();
            JsonNode v = value == null ? null : json.readTree(value);
            switch (keyType) {
                case "SCHEMA" -> {
                    if (v == null || v.path("deleted").asBoolean(false)) {
                        return; // deletes are not served by this registry; ignore tombstones
                    }
                    String subject = v.get("subject").asText();
                    int version = v.get("version").asInt();
                    int id = v.get("id").asInt();
                    Schema schema = new Schema.Parser().parse(v.get("schema").asText());
                    remember(subject, version, id, schema);
                }
                case "CONFIG" -> {
                    String subject = k.hasNonNull("subject") ? k.get("subject").asText() : null;
                    if (v == null) {
                        if (subject != null) {
                            subjectLevels.remove(subject);
                        }
                        return;
                    }
                    Compatibility level = Compatibility.parse(v.get("compatibilityLevel").asText());
                    if (subject == null) {
                        globalLevel = level;
                    } else {
                        subjectLevels.put(subject, level);
                    }
                }
                default -> LOG.debug("ignoring '{}' record in {}", keyType, topic);
            }
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.warn("skipping unreadable record in {}: key {}: {}", topic, key, e.toString());
        }
    }

    private void remember(String subject, int version, int id, Schema schema) {
        schemasById.put(id, schema);
        idsByCanonical.putIfAbsent(schema.toString(), id);
        subjectVersions.computeIfAbsent(subject, s -> new TreeMap<>()).put(version, id);
        maxId = Math.max(maxId, id);
    }

    /** Registers the schema under the subject, or returns the existing version holding it. */
    synchronized StoredSchema register(String subject, Schema schema) {
        Optional<StoredSchema> existing = find(subject, schema);
        if (existing.isPresent()) {
            return existing.get();
        }
        List<String> problems = incompatibilities(subject, schema, schemasOf(subject));
        if (!problems.isEmpty()) {
            throw new RestError(409, RestError.INCOMPATIBLE_SCHEMA,
                    "Schema being registered is incompatible with an earlier schema for subject \"" + subject
                            + "\" (compatibility " + levelOf(subject) + "), details: " + problems);
        }
        Integer knownId = idsByCanonical.get(schema.toString());
        int id = knownId != null ? knownId : maxId + 1;
        TreeMap<Integer, Integer> versions = subjectVersions.get(subject);
        int version = versions == null || versions.isEmpty() ? 1 : versions.lastKey() + 1;

        ObjectNode key = json.createObjectNode().put("keytype", "SCHEMA").put("subject", subject).put("version", version).put("magic", 1);
        ObjectNode value = json.createObjectNode().put("subject", subject).put("version", version).put("id", id)
                .put("schema", schema.toString()).put("deleted", false);
        write(key, value);
        remember(subject, version, id, schema);
        return new StoredSchema(subject, version, id, schema);
    }

    synchronized Optional<StoredSchema> find(String subject, Schema schema) {
        TreeMap<Integer, Integer> versions = subjectVersions.get(subject);
        Integer id = idsByCanonical.get(schema.toString());
        if (versions == null || id == null) {
            return Optional.empty();
        }
        return versions.entrySet().stream()
                .filter(e -> e.getValue().equals(id))
                .findFirst()
                .map(e -> new StoredSchema(subject, e.getKey(), id, schemasById.get(id)));
    }

    synchronized Optional<Schema> schema(int id) {
        return Optional.ofNullable(schemasById.get(id));
    }

    synchronized boolean hasSubject(String subject) {
        return subjectVersions.containsKey(subject);
    }

    synchronized List<String> subjects() {
        return List.copyOf(subjectVersions.keySet());
    }

    synchronized List<Integer> versions(String subject) {
        TreeMap<Integer, Integer> versions = subjectVersions.get(subject);
        return versions == null ? List.of() : List.copyOf(versions.keySet());
    }

    /** The given version ({@code -1} for the latest), empty when the subject or version does not exist. */
    synchronized Optional<StoredSchema> version(String subject, int version) {
        TreeMap<Integer, Integer> versions = subjectVersions.get(subject);
        if (versions == null || versions.isEmpty()) {
            return Optional.empty();
        }
        int wanted = version == -1 ? versions.lastKey() : version;
        Integer id = versions.get(wanted);
        return id == null ? Optional.empty() : Optional.of(new StoredSchema(subject, wanted, id, schemasById.get(id)));
    }

    /** Problems that would stop {@code schema} from joining {@code subject}, checked against {@code against} (oldest first). */
    synchronized List<String> incompatibilities(String subject, Schema schema, List<Schema> against) {
        return levelOf(subject).incompatibilities(schema, against);
    }

    /** Every version's schema under the subject, oldest first (the level picks which ones it checks). */
    synchronized List<Schema> schemasOf(String subject) {
        TreeMap<Integer, Integer> versions = subjectVersions.get(subject);
        if (versions == null) {
            return List.of();
        }
        List<Schema> schemas = new ArrayList<>();
        versions.values().forEach(id -> schemas.add(schemasById.get(id)));
        return schemas;
    }

    synchronized Compatibility levelOf(String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    synchronized Optional<Compatibility> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    synchronized Compatibility globalLevel() {
        return globalLevel;
    }

    synchronized void setLevel(String subjectOrNull, Compatibility level) {
        ObjectNode key = json.createObjectNode().put("keytype", "CONFIG");
        if (subjectOrNull == null) {
            key.putNull("subject");
        } else {
            key.put("subject", subjectOrNull);
        }
        key.put("magic", 0);
        write(key, json.createObjectNode().put("compatibilityLevel", level.name()));
        if (subjectOrNull == null) {
            globalLevel = level;
        } else {
            subjectLevels.put(subjectOrNull, level);
        }
    }

    /** A snapshot of subject -> (version -> id), for tests and diagnostics. */
    synchronized Map<String, Map<Integer, Integer>> snapshot() {
        Map<String, Map<Integer, Integer>> copy = new LinkedHashMap<>();
        subjectVersions.forEach((s, v) -> copy.put(s, Map.copyOf(v)));
        return copy;
    }

    private void write(ObjectNode key, ObjectNode value) {
        try {
            producer.send(new ProducerRecord<>(topic, 0, key.toString(), value.toString()))
                    .get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new RestError(500, RestError.STORE_ERROR,
                    "schema registry could not write to its topic '" + topic + "': " + (e.getCause() == null ? e : e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RestError(500, RestError.STORE_ERROR, "interrupted while writing to " + topic);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
