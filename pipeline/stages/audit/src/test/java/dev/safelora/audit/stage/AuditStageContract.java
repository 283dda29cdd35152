package dev.safelora.audit.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.safelora.audit.AuditFixtures;
import dev.safelora.audit.ledger.AuditDatabase;
import dev.safelora.audit.ledger.Canonical;
import dev.safelora.audit.ledger.ChainVerifier;
import dev.safelora.contracts.Topic;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.TrainingPhase;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.stage.DeadLetters;
import dev.safelora.stage.StageConfig;
import dev.safelora.stage.StageMetrics;
import dev.safelora.testkit.SharedCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The audit stage end to end on one kind of database, over the real in-process broker and registry: every kind
 * of event lands once in typed rows, aborted transactions never do, a restart (even under a new consumer group)
 * resumes from the positions in the database and stores nothing twice, and the anchored chains verify.
 */
abstract class AuditStageContract {

    protected abstract AuditDatabase newDatabase();

    private final SharedCluster.TestCluster cluster = SharedCluster.get();
    private final AvroSerializer<SpecificRecord> serializer = new AvroSerializer<>(cluster.registryClient(), true);

    @Test
    void storesEveryEventOnceResumesFromTheDatabaseAndVerifies() throws Exception {
        String u = UUID.randomUUID().toString().substring(0, 8);
        String family = "fam-" + u;
        AuditDatabase db = newDatabase();
        UUID alignmentId = UUID.randomUUID();
        UUID jobId = UUID.randomUUID();
        byte[] dlqValue = {0, 0, 0, 0, 42, 7, 7};
        try (KafkaProducer<byte[], byte[]> producer = producer(null)) {
            send(producer, Topic.ALIGNMENTS, family, AuditFixtures.alignment(family, alignmentId));
            send(producer, Topic.ADAPTERS, "ad1-" + u, AuditFixtures.adapter(family, "ad1-" + u, null, LineageReason.NEW_TRAINING,
                    alignmentId, AuditFixtures.T0));
            send(producer, Topic.ADAPTERS, "ad2-" + u, AuditFixtures.adapter(family, "ad2-" + u, "ad1-" + u,
                    LineageReason.SELECTION_CHANGED, alignmentId, AuditFixtures.T0.plusSeconds(60)));
            send(producer, Topic.EVALUATIONS, "ad1-" + u, AuditFixtures.evaluation(family, "ad1-" + u, 0.625, 0.125, AuditFixtures.T0));
            send(producer, Topic.TRAINING_PROGRESS, "req", AuditFixtures.progress("ad1-" + u, jobId, TrainingPhase.TRAINING, null));
            send(producer, Topic.TRAINING_PROGRESS, "req", AuditFixtures.progress("ad1-" + u, jobId, TrainingPhase.COMPLETED, null));
            send(producer, Topic.TRAINING_PROGRESS, "req", AuditFixtures.progress("ad3-" + u, UUID.randomUUID(), TrainingPhase.FAILED,
                    "CUDA out of memory"));
            RecordHeaders headers = new RecordHeaders();
            headers.add(DeadLetters.CAUSE, "VALIDATION".getBytes(StandardCharsets.UTF_8));
            headers.add(DeadLetters.ERROR_MESSAGE, "lora.r must be positive, got 0".getBytes(StandardCharsets.UTF_8));
            headers.add(DeadLetters.SOURCE_TOPIC, Topic.TRAINING_REQUESTS.topicName().getBytes(StandardCharsets.UTF_8));
            headers.add(DeadLetters.SOURCE_PARTITION, "0".getBytes(StandardCharsets.UTF_8));
            headers.add(DeadLetters.SOURCE_OFFSET, Long.toString(System.nanoTime() & 0xffffff).getBytes(StandardCharsets.UTF_8));
            headers.add(DeadLetters.STAGE, "planner".getBytes(StandardCharsets.UTF_8));
            producer.send(new ProducerRecord<>(Topic.TRAINING_REQUESTS.dlqName(), null, ("dlq-" + u).getBytes(StandardCharsets.UTF_8),
                    dlqValue, headers)).get();
            producer.send(new ProducerRecord<>(Topic.ADAPTERS.topicName(), ("junk-" + u).getBytes(StandardCharsets.UTF_8),
                    new byte[] {9, 9, 9, 9, 9, 9})).get();
        }
        try (KafkaProducer<byte[], byte[]> tx = producer("audit-test-" + u)) {
            tx.initTransactions();
            tx.beginTransaction();
            send(tx, Topic.ADAPTERS, "aborted-" + u, AuditFixtures.adapter(family, "aborted-" + u, null, LineageReason.OTHER,
                    alignmentId, AuditFixtures.T0));
            tx.flush();
            tx.abortTransaction();
        }

        String ledger = "ledger-" + u;
        AuditLoop loop = start(db, "audit-" + u, ledger);
        await().atMost(Duration.ofSeconds(180)).until(() -> count(db, "SELECT COUNT(*) FROM adapters WHERE family = ?", family) == 2
                && count(db, "SELECT COUNT(*) FROM job_outcomes WHERE adapter_id IN (?, ?)", "ad1-" + u, "ad3-" + u) == 2
                && count(db, "SELECT COUNT(*) FROM dead_letters WHERE record_key IN (?, ?)", "dlq-" + u, "junk-" + u) == 2
                && count(db, "SELECT COUNT(*) FROM evaluations WHERE family = ?", family) == 1
                && count(db, "SELECT COUNT(*) FROM alignments WHERE family = ?", family) == 1);
        stop(loop);

        assertThat(rows(db, "SELECT adapter_id, previous_adapter_id, lineage_reason, projected_modules FROM adapters WHERE family = ? "
                + "ORDER BY published_at", family)).containsExactly(
                List.of("ad1-" + u, "null", "NEW_TRAINING", "model.layers.1.self_attn.q_proj"),
                List.of("ad2-" + u, "ad1-" + u, "SELECTION_CHANGED", "model.layers.1.self_attn.q_proj"));
        assertThat(rows(db, "SELECT m.module, m.cosine, m.projected FROM evaluation_modules m JOIN evaluations e ON e.event_key = m.event_key "
                + "WHERE e.family = ? ORDER BY m.position", family)).containsExactly(
                List.of("model.layers.0.self_attn.q_proj", "0.875", "false"),
                List.of("model.layers.1.self_attn.q_proj", "0.125", "true"));
        assertThat(rows(db, "SELECT m.category, m.phase, m.name, m.metric_value FROM evaluation_metrics m JOIN evaluations e "
                + "ON e.event_key = m.event_key WHERE e.family = ? AND m.name = 'attack_success_rate' ORDER BY m.phase DESC", family))
                .containsExactly(List.of("safety", "raw", "attack_success_rate", "0.625"),
                        List.of("safety", "projected", "attack_success_rate", "0.125"));
        assertThat(rows(db, "SELECT outcome, base_fingerprint FROM alignments WHERE family = ?", family))
                .containsExactly(List.of("READY", "b".repeat(64)));
        assertThat(rows(db, "SELECT m.module, m.frobenius_norm FROM alignment_modules m JOIN alignments a ON a.event_key = m.event_key "
                + "WHERE a.family = ? ORDER BY m.position", family)).containsExactly(
                List.of("model.layers.0.self_attn.q_proj", "1.5"), List.of("model.layers.1.self_attn.q_proj", "2.25"));
        assertThat(rows(db, "SELECT phase, message FROM job_outcomes WHERE adapter_id IN (?, ?) ORDER BY phase", "ad1-" + u, "ad3-" + u))
                .containsExactly(List.of("COMPLETED", "null"), List.of("FAILED", "CUDA out of memory"));
        assertThat(rows(db, "SELECT source_topic, cause, error_message, stage, payload_sha256 FROM dead_letters WHERE record_key = ?", "dlq-" + u))
                .containsExactly(List.of(Topic.TRAINING_REQUESTS.topicName(), "VALIDATION", "lora.r must be positive, got 0", "planner",
                        Canonical.sha256Hex(dlqValue)));
        assertThat(rows(db, "SELECT cause, stage FROM dead_letters WHERE record_key = ?", "junk-" + u))
                .containsExactly(List.of("DESERIALIZATION", "audit"));
        assertThat(count(db, "SELECT COUNT(*) FROM adapters WHERE adapter_id = ?", "aborted-" + u)).isZero();

        // a restart, even under another consumer group, resumes where the database says: nothing is stored twice
        long before = count(db, "SELECT COUNT(*) FROM audit_events");
        try (KafkaProducer<byte[], byte[]> producer = producer(null)) {
            send(producer, Topic.ADAPTERS, "marker-" + u, AuditFixtures.adapter(family, "marker-" + u, "ad2-" + u, LineageReason.OTHER,
                    alignmentId, AuditFixtures.T0.plusSeconds(120)));
        }
        loop = start(db, "audit-again-" + u, ledger);
        await().atMost(Duration.ofSeconds(180)).until(() -> count(db, "SELECT COUNT(*) FROM adapters WHERE adapter_id = ?", "marker-" + u) == 1);
        stop(loop);
        assertThat(count(db, "SELECT COUNT(*) FROM audit_events")).isEqualTo(before + 1);

        List<ChainVerifier.Anchor> anchors = AnchorReader.latest(cluster.clientSettings(), Topic.AUDIT_ANCHORS.topicName(), ledger,
                Duration.ofSeconds(30));
        assertThat(anchors).extracting(ChainVerifier.Anchor::topic).contains(Topic.ADAPTERS.topicName(), Topic.EVALUATIONS.topicName());
        try (Connection c = db.connect()) {
            ChainVerifier.Result result = ChainVerifier.verify(c, anchors);
            assertThat(result.problems()).isEmpty();
            assertThat(result.events()).isEqualTo(before + 1);
        }
    }

    private AuditLoop start(AuditDatabase db, String group, String ledger) throws Exception {
        Map<String, String> settings = new HashMap<>();
        settings.put("group.id", group);
        settings.put("topics", String.join(",", AuditSettings.defaultTopics()));
        settings.put("work.dir", Files.createTempDirectory("audit-work").toString());
        settings.put("metrics.port", "0");
        settings.put("poll.timeout", "100ms");
        settings.put("audit.jdbc.url", db.jdbcUrl());
        if (db.user() != null) {
            settings.put("audit.jdbc.user", db.user());
            settings.put("audit.jdbc.password", db.password());
        }
        settings.put("audit.anchor.interval", "200ms");
        settings.put("audit.ledger.id", ledger);
        StageConfig config = StageConfig.of("audit", cluster.clientSettings(), settings);
        AuditLoop loop = AuditStage.loop(config, new StageMetrics(), Map.of());
        loop.start();
        return loop;
    }

    private static void stop(AuditLoop loop) throws InterruptedException {
        loop.shutdown();
        assertThat(loop.awaitTermination(Duration.ofSeconds(30))).isTrue();
        assertThat(loop.failure()).isEmpty();
    }

    private KafkaProducer<byte[], byte[]> producer(String transactionalId) {
        Map<String, Object> p = cluster.clientSettings().producerProperties();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        if (transactionalId != null) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return new KafkaProducer<>(p);
    }

    private void send(KafkaProducer<byte[], byte[]> producer, Topic topic, String key, SpecificRecord value) throws Exception {
        producer.send(new ProducerRecord<>(topic.topicName(), key.getBytes(StandardCharsets.UTF_8),
                serializer.serialize(topic.topicName(), value))).get();
    }

    static long count(AuditDatabase db, String sql, String... params) throws SQLException {
        List<List<String>> r = rows(db, sql, params);
        return Long.parseLong(r.get(0).get(0));
    }

    static List<List<String>> rows(AuditDatabase db, String sql, String... params) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setString(i + 1, params[i]);
            }
            List<List<String>> result = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    List<String> row = new ArrayList<>();
                    for (int i = 1; i <= n; i++) {
                        Object v = rs.getObject(i);
                        row.add(v instanceof Boolean b ? b.toString() : v instanceof Number num && rs.getMetaData().getColumnName(i).equals("projected")
                                ? Boolean.toString(num.intValue() != 0) : String.valueOf(v));
                    }
                    result.add(row);
                }
            }
            return result;
        }
    }
}
