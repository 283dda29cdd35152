package dev.safelora.registry.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
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
 * The registry's state (schemas by id, subject versions with their soft deletes, compatibility and mode
 * config), kept as a log in
 * a single-partition compacted Kafka topic and rebuilt from it on start. Records use the same
 * JSON key/value shapes as Confluent's {@code _schemas} topic: {@code SCHEMA} records ({@code deleted: true}
 * for a soft delete, a tombstone for a hard one), {@code CONFIG} and {@code MODE} records (a tombstone
 * clears a subject's own setting). One store writes a topic at a
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
    /** The text and references of the schemas registered with references (the others are served as parsed). */
    private final Map<Integer, String> textById = new HashMap<>();
    private final Map<Integer, List<Reference>> referencesById = new HashMap<>();
    private final Map<String, Integer> idsByCanonical = new HashMap<>();
    /** subject -> version -> (id, soft-deleted); a hard-deleted version is gone. */
    private final Map<String, TreeMap<Integer, Version>> subjectVersions = new TreeMap<>();
    private final Map<String, Compatibility> subjectLevels = new HashMap<>();
    private final Map<String, Mode> subjectModes = new HashMap<>();
    private Compatibility globalLevel;
    private Mode globalMode = Mode.READWRITE;
    private int maxId;

    /** A version of a subject: the schema id it holds, and whether it is soft-deleted. */
    private record Version(int id, boolean deleted) {
    }

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
                    String subject = k.get("subject").asText();
                    int version = k.get("version").asInt();
                    if (v == null) {
                        forget(subject, version); // hard delete
                        return;
                    }
                    int id = v.get("id").asInt();
                    List<Reference> references = new ArrayList<>();
                    v.path("references").forEach(r -> references.add(
                            new Reference(r.get("name").asText(), r.get("subject").asText(), r.get("version").asInt())));
                    String text = v.get("schema").asText();
                    Schema schema = resolve(text, references);
                    rememberText(id, text, references);
                    remember(subject, version, id, schema, v.path("deleted").asBoolean(false));
                }
                case "MODE" -> {
                    String subject = k.hasNonNull("subject") ? k.get("subject").asText() : null;
                    if (v == null) {
                        if (subject != null) {
                            subjectModes.remove(subject);
                        }
                        return;
                    }
                    Mode mode = Mode.valueOf(v.get("mode").asText());
                    if (subject == null) {
                        globalMode = mode;
                    } else {
                        subjectModes.put(subject, mode);
                    }
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

    private void remember(String subject, int version, int id, Schema schema, boolean deleted) {
        schemasById.put(id, schema);
        if (!referencesById.containsKey(id)) {
            idsByCanonical.putIfAbsent(schema.toString(), id);
        }
        subjectVersions.computeIfAbsent(subject, s -> new TreeMap<>()).put(version, new Version(id, deleted));
        maxId = Math.max(maxId, id);
    }

    private void rememberText(int id, String text, List<Reference> references) {
        if (!references.isEmpty()) {
            textById.put(id, text);
            referencesById.put(id, List.copyOf(references));
            idsByCanonical.putIfAbsent(canonical(schemasById.get(id), text, references), id);
        }
    }

    /** What identifies a schema: its parsed form, or with references the registered text and the references. */
    private String canonical(Schema schema, String text, List<Reference> references) {
        if (references.isEmpty()) {
            return schema.toString();
        }
        try {
            return "references " + references + " " + json.readTree(text).toString();
        } catch (JsonProcessingException e) {
            return "references " + references + " " + text;
        }
    }

    /**
     * Parses {@code text} with its references' types defined first (each reference resolved, recursively, from
     * the live or soft-deleted version it names); a reference that names nothing is an invalid schema (42201).
     */
    synchronized Schema resolve(String text, List<Reference> references) {
        Schema.Parser parser = new Schema.Parser();
        defineReferences(parser, references, new java.util.HashSet<>());
        return parser.parse(text);
    }

    private void defineReferences(Schema.Parser parser, List<Reference> references, Set<Reference> defined) {
        for (Reference r : references) {
            if (!defined.add(r)) {
                continue;
            }
            Version v = versionsOf(r.subject(), true).get(r.version());
            if (v == null) {
                throw new RestError(422, RestError.INVALID_SCHEMA, "Invalid schema: reference " + r.name() + " names subject '"
                        + r.subject() + "' version " + r.version() + ", which does not exist");
            }
            defineReferences(parser, referencesById.getOrDefault(v.id(), List.of()), defined);
            if (!parser.getTypes().containsKey(r.name())) {
                parser.parse(textById.getOrDefault(v.id(), schemasById.get(v.id()).toString()));
            }
        }
    }

    /** The ids of the live versions whose references name {@code subject} version {@code version}. */
    synchronized List<Integer> referencedBy(String subject, int version) {
        List<Integer> ids = new ArrayList<>();
        subjectVersions.forEach((s, versions) -> versions.forEach((n, v) -> {
            boolean refers = referencesById.getOrDefault(v.id(), List.of()).stream()
                    .anyMatch(r -> r.subject().equals(subject) && r.version() == version);
            if (refers && !v.deleted() && !ids.contains(v.id())) {
                ids.add(v.id());
            }
        }));
        return ids;
    }

    private void refuseIfReferenced(String subject, int version) {
        if (!referencedBy(subject, version).isEmpty()) {
            throw new RestError(422, RestError.REFERENCE_EXISTS, "One or more references exist to the schema {magic=1,keytype=SCHEMA,subject="
                    + subject + ",version=" + version + "}.");
        }
    }

    private void forget(String subject, int version) {
        TreeMap<Integer, Version> versions = subjectVersions.get(subject);
        if (versions != null) {
            versions.remove(version);
            if (versions.isEmpty()) {
                subjectVersions.remove(subject);
            }
        }
    }

    /** The live (not soft-deleted) versions of a subject, or with {@code deleted} all of them; empty map when none. */
    private TreeMap<Integer, Version> versionsOf(String subject, boolean deleted) {
        TreeMap<Integer, Version> all = subjectVersions.getOrDefault(subject, new TreeMap<>());
        TreeMap<Integer, Version> result = new TreeMap<>();
        all.forEach((n, v) -> {
            if (deleted || !v.deleted()) {
                result.put(n, v);
            }
        });
        return result;
    }

    private StoredSchema stored(String subject, int version, Version v) {
        Schema schema = schemasById.get(v.id());
        return new StoredSchema(subject, version, v.id(), schema, textById.getOrDefault(v.id(), schema.toString()),
                referencesById.getOrDefault(v.id(), List.of()));
    }

    /**
     * Registers the schema under the subject, or returns the live version already holding it. {@code explicitId}
     * (IMPORT mode only) asks for that id; versions continue after soft-deleted ones, as Confluent's do.
     */
    synchronized StoredSchema register(String subject, Schema schema, OptionalInt explicitId) {
        return register(subject, schema, schema.toString(), List.of(), explicitId);
    }

    /** As above, for a schema registered with references ({@code text} as given, {@code schema} resolved). */
    synchronized StoredSchema register(String subject, Schema schema, String text, List<Reference> references, OptionalInt explicitId) {
        Mode mode = modeOf(subject);
        if (mode == Mode.READONLY) {
            throw new RestError(422, RestError.OPERATION_NOT_PERMITTED, "Subject " + subject + " is in read-only mode");
        }
        if (explicitId.isPresent() && mode != Mode.IMPORT) {
            throw new RestError(422, RestError.OPERATION_NOT_PERMITTED,
                    "Overwrite new schema with id " + explicitId.getAsInt() + " is not permitted.");
        }
        Optional<StoredSchema> existing = find(subject, schema, text, references, false);
        if (existing.isPresent()) {
            return existing.get();
        }
        if (mode != Mode.IMPORT) {
            List<String> problems = incompatibilities(subject, schema, schemasOf(subject));
            if (!problems.isEmpty()) {
                throw new RestError(409, RestError.INCOMPATIBLE_SCHEMA,
                        "Schema being registered is incompatible with an earlier schema for subject \"" + subject
                                + "\" (compatibility " + levelOf(subject) + "), details: " + problems);
            }
        }
        int id;
        if (explicitId.isPresent()) {
            id = explicitId.getAsInt();
            Schema taken = schemasById.get(id);
            if (taken != null && !taken.toString().equals(schema.toString())) {
                throw new RestError(422, RestError.OPERATION_NOT_PERMITTED,
                        "Overwrite new schema with id " + id + " is not permitted: the id holds another schema.");
            }
        } else {
            Integer knownId = idsByCanonical.get(canonical(schema, text, references));
            id = knownId != null ? knownId : maxId + 1;
        }
        TreeMap<Integer, Version> versions = subjectVersions.get(subject);
        int version = versions == null || versions.isEmpty() ? 1 : versions.lastKey() + 1;
        rememberText(id, text, references);
        writeSchema(subject, version, id, schema, false);
        remember(subject, version, id, schema, false);
        return stored(subject, version, new Version(id, false));
    }

    private void writeSchema(String subject, int version, int id, Schema schema, boolean deleted) {
        ObjectNode value = json.createObjectNode().put("subject", subject).put("version", version).put("id", id)
                .put("schema", textById.getOrDefault(id, schema.toString())).put("deleted", deleted);
        List<Reference> references = referencesById.getOrDefault(id, List.of());
        if (!references.isEmpty()) {
            var array = value.putArray("references");
            references.forEach(r -> array.addObject().put("name", r.name()).put("subject", r.subject()).put("version", r.version()));
        }
        write(schemaKey(subject, version), value);
    }

    private ObjectNode schemaKey(String subject, int version) {
        return json.createObjectNode().put("keytype", "SCHEMA").put("subject", subject).put("version", version).put("magic", 1);
    }

    /** The version of {@code subject} holding {@code schema}; soft-deleted ones only with {@code deleted}. */
    synchronized Optional<StoredSchema> find(String subject, Schema schema, boolean deleted) {
        return find(subject, schema, schema.toString(), List.of(), deleted);
    }

    synchronized Optional<StoredSchema> find(String subject, Schema schema, String text, List<Reference> references, boolean deleted) {
        Integer id = idsByCanonical.get(canonical(schema, text, references));
        if (id == null) {
            return Optional.empty();
        }
        return versionsOf(subject, deleted).entrySet().stream()
                .filter(e -> e.getValue().id() == id)
                .findFirst()
                .map(e -> stored(subject, e.getKey(), e.getValue()));
    }

    synchronized Optional<Schema> schema(int id) {
        return Optional.ofNullable(schemasById.get(id));
    }

    /** The schema with this id as served by id (no subject or version: those are of its uses). */
    synchronized Optional<StoredSchema> byId(int id) {
        Schema schema = schemasById.get(id);
        return schema == null ? Optional.empty() : Optional.of(new StoredSchema("", 0, id, schema,
                textById.getOrDefault(id, schema.toString()), referencesById.getOrDefault(id, List.of())));
    }

    /** Whether the subject has a live version (or, with {@code deleted}, any version at all). */
    synchronized boolean hasSubject(String subject, boolean deleted) {
        return !versionsOf(subject, deleted).isEmpty();
    }

    synchronized boolean hasSubject(String subject) {
        return hasSubject(subject, false);
    }

    synchronized List<String> subjects(boolean deleted) {
        return subjectVersions.keySet().stream().filter(s -> hasSubject(s, deleted)).toList();
    }

    synchronized List<String> subjects() {
        return subjects(false);
    }

    synchronized List<Integer> versions(String subject, boolean deleted) {
        return List.copyOf(versionsOf(subject, deleted).keySet());
    }

    synchronized List<Integer> versions(String subject) {
        return versions(subject, false);
    }

    /** The given version ({@code -1} for the latest live one), empty when the subject or version does not exist. */
    synchronized Optional<StoredSchema> version(String subject, int version, boolean deleted) {
        TreeMap<Integer, Version> versions = versionsOf(subject, deleted);
        if (versions.isEmpty()) {
            return Optional.empty();
        }
        int wanted = version == -1 ? versions.lastKey() : version;
        Version v = versions.get(wanted);
        return v == null ? Optional.empty() : Optional.of(stored(subject, wanted, v));
    }

    synchronized Optional<StoredSchema> version(String subject, int version) {
        return version(subject, version, false);
    }

    /** Every (subject, version) holding schema {@code id}. */
    synchronized List<StoredSchema> usesOf(int id, boolean deleted) {
        List<StoredSchema> uses = new ArrayList<>();
        subjectVersions.forEach((subject, versions) -> versions.forEach((n, v) -> {
            if (v.id() == id && (deleted || !v.deleted())) {
                uses.add(stored(subject, n, v));
            }
        }));
        return uses;
    }

    /** Every live version of every subject whose name starts with {@code prefix}, or only each subject's latest. */
    synchronized List<StoredSchema> all(String prefix, boolean latestOnly, boolean deleted) {
        List<StoredSchema> result = new ArrayList<>();
        for (String subject : subjectVersions.keySet()) {
            if (!subject.startsWith(prefix)) {
                continue;
            }
            TreeMap<Integer, Version> versions = versionsOf(subject, deleted);
            if (versions.isEmpty()) {
                continue;
            }
            if (latestOnly) {
                result.add(stored(subject, versions.lastKey(), versions.lastEntry().getValue()));
            } else {
                versions.forEach((n, v) -> result.add(stored(subject, n, v)));
            }
        }
        return result;
    }

    /**
     * Deletes one version: soft (kept in the topic with {@code deleted: true}, hidden from lookups), or with
     * {@code permanent} hard (a tombstone), which Confluent allows only after a soft delete.
     */
    synchronized int deleteVersion(String subject, int version, boolean permanent) {
        requireWritable(subject);
        TreeMap<Integer, Version> all = subjectVersions.get(subject);
        if (all == null || all.isEmpty()) {
            throw new RestError(404, RestError.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
        }
        int wanted = version == -1 ? versionsOf(subject, false).isEmpty() ? -1 : versionsOf(subject, false).lastKey() : version;
        Version v = all.get(wanted);
        if (v == null) {
            throw new RestError(404, RestError.VERSION_NOT_FOUND, "Version " + (version == -1 ? "latest" : version) + " not found.");
        }
        refuseIfReferenced(subject, wanted);
        if (permanent) {
            if (!v.deleted()) {
                throw new RestError(404, RestError.VERSION_NOT_SOFT_DELETED, "Subject '" + subject + "' Version " + wanted
                        + " was not deleted first before being permanently deleted");
            }
            write(schemaKey(subject, wanted), null);
            forget(subject, wanted);
        } else {
            if (v.deleted()) {
                throw new RestError(404, RestError.VERSION_SOFT_DELETED, "Subject '" + subject + "' Version " + wanted
                        + " was soft deleted. Set permanent=true to delete permanently");
            }
            writeSchema(subject, wanted, v.id(), schemasById.get(v.id()), true);
            remember(subject, wanted, v.id(), schemasById.get(v.id()), true);
        }
        return wanted;
    }

    /** Deletes every version of a subject, soft or (after a soft delete) permanently; returns the versions deleted. */
    synchronized List<Integer> deleteSubject(String subject, boolean permanent) {
        requireWritable(subject);
        TreeMap<Integer, Version> all = subjectVersions.get(subject);
        if (all == null || all.isEmpty()) {
            throw new RestError(404, RestError.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
        }
        boolean live = !versionsOf(subject, false).isEmpty();
        if (permanent && live) {
            throw new RestError(404, RestError.SUBJECT_NOT_SOFT_DELETED,
                    "Subject '" + subject + "' was not deleted first before being permanently deleted");
        }
        if (!permanent && !live) {
            throw new RestError(404, RestError.SUBJECT_SOFT_DELETED,
                    "Subject '" + subject + "' was soft deleted. Set permanent=true to delete permanently");
        }
        all.keySet().forEach(version -> refuseIfReferenced(subject, version));
        List<Integer> deleted = new ArrayList<>();
        for (Map.Entry<Integer, Version> e : new TreeMap<>(all).entrySet()) {
            if (permanent) {
                write(schemaKey(subject, e.getKey()), null);
                forget(subject, e.getKey());
            } else {
                Schema schema = schemasById.get(e.getValue().id());
                writeSchema(subject, e.getKey(), e.getValue().id(), schema, true);
                remember(subject, e.getKey(), e.getValue().id(), schema, true);
            }
            deleted.add(e.getKey());
        }
        if (permanent) {
            subjectLevels.remove(subject);
            subjectModes.remove(subject);
        }
        return deleted;
    }

    private void requireWritable(String subject) {
        if (modeOf(subject) == Mode.READONLY) {
            throw new RestError(422, RestError.OPERATION_NOT_PERMITTED, "Subject " + subject + " is in read-only mode");
        }
    }

    /** Problems that would stop {@code schema} from joining {@code subject}, checked against {@code against} (oldest first). */
    synchronized List<String> incompatibilities(String subject, Schema schema, List<Schema> against) {
        return levelOf(subject).incompatibilities(schema, against);
    }

    /** As above; with {@code everyOne} each of {@code against} is checked whatever the level's transitivity. */
    synchronized List<String> incompatibilities(String subject, Schema schema, List<Schema> against, boolean everyOne) {
        return everyOne ? levelOf(subject).incompatibilitiesWithEach(schema, against) : levelOf(subject).incompatibilities(schema, against);
    }

    /** Every live version's schema under the subject, oldest first (the level picks which ones it checks). */
    synchronized List<Schema> schemasOf(String subject) {
        List<Schema> schemas = new ArrayList<>();
        versionsOf(subject, false).values().forEach(v -> schemas.add(schemasById.get(v.id())));
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
        write(configKey("CONFIG", subjectOrNull), json.createObjectNode().put("compatibilityLevel", level.name()));
        if (subjectOrNull == null) {
            globalLevel = level;
        } else {
            subjectLevels.put(subjectOrNull, level);
        }
    }

    /** Removes the subject's own level (a tombstone); returns what it was, empty when it had none. */
    synchronized Optional<Compatibility> clearLevel(String subject) {
        Compatibility old = subjectLevels.get(subject);
        if (old != null) {
            write(configKey("CONFIG", subject), null);
            subjectLevels.remove(subject);
        }
        return Optional.ofNullable(old);
    }

    synchronized Mode modeOf(String subject) {
        return subject == null ? globalMode : subjectModes.getOrDefault(subject, globalMode);
    }

    synchronized Optional<Mode> subjectMode(String subject) {
        return Optional.ofNullable(subjectModes.get(subject));
    }

    synchronized void setMode(String subjectOrNull, Mode mode) {
        write(configKey("MODE", subjectOrNull), json.createObjectNode().put("mode", mode.name()));
        if (subjectOrNull == null) {
            globalMode = mode;
        } else {
            subjectModes.put(subjectOrNull, mode);
        }
    }

    private ObjectNode configKey(String keyType, String subjectOrNull) {
        ObjectNode key = json.createObjectNode().put("keytype", keyType);
        if (subjectOrNull == null) {
            key.putNull("subject");
        } else {
            key.put("subject", subjectOrNull);
        }
        return key.put("magic", 0);
    }

    /** A snapshot of subject -> (version -> id), for tests and diagnostics. */
    synchronized Map<String, Map<Integer, Integer>> snapshot() {
        Map<String, Map<Integer, Integer>> copy = new LinkedHashMap<>();
        subjectVersions.forEach((s, versions) -> {
            Map<Integer, Integer> ids = new TreeMap<>();
            versions.forEach((n, v) -> ids.put(n, v.id()));
            copy.put(s, ids);
        });
        return copy;
    }

    /** Writes a record ({@code value} null: a tombstone) and waits for the broker's acknowledgement. */
    private void write(ObjectNode key, ObjectNode value) {
        try {
            producer.send(new ProducerRecord<>(topic, 0, key.toString(), value == null ? null : value.toString()))
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
