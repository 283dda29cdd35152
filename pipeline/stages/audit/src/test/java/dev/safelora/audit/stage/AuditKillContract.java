package dev.safelora.audit.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.safelora.audit.AuditFixtures;
import dev.safelora.audit.ledger.AuditDatabase;
import dev.safelora.audit.ledger.ChainVerifier;
import dev.safelora.schema.LineageReason;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.testkit.SharedCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the audit stage's own JVM while it is storing batches, then a restart: every event is in the
 * ledger exactly once and the chain verifies, because rows and positions commit in one database transaction.
 */
abstract class AuditKillContract {

    private static final int EVENTS = 2000;

    protected abstract AuditDatabase newDatabase();

    @Test
    void killNineMidBatchThenRestartStoresEveryEventExactlyOnce() throws Exception {
        SharedCluster.TestCluster cluster = SharedCluster.get();
        String topic = "audit-kill-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = Admin.create(cluster.clientSettings().adminProperties())) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        }
        AvroSerializer<SpecificRecord> serializer = new AvroSerializer<>(cluster.registryClient(), true);
        Map<String, Object> p = cluster.clientSettings().producerProperties();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            UUID alignment = UUID.randomUUID();
            for (int i = 0; i < EVENTS; i++) {
                String id = topic + "-" + i;
                producer.send(new ProducerRecord<>(topic, id.getBytes(), serializer.serialize(topic,
                        AuditFixtures.adapter("kill", id, null, LineageReason.NEW_TRAINING, alignment, AuditFixtures.T0))));
            }
            producer.flush();
        }

        AuditDatabase db = newDatabase();
        Path work = Files.createTempDirectory("audit-kill");
        Process first = launch(cluster, db, topic, work, "first");
        try {
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(20))
                    .until(() -> stored(db, topic) > 0);
        } finally {
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no graceful close
            first.waitFor();
        }
        long atKill = stored(db, topic);
        assertThat(atKill).as("killed while storing, not after").isLessThan(EVENTS);

        Process second = launch(cluster, db, topic, work, "second");
        try {
            await().atMost(Duration.ofSeconds(180)).until(() -> stored(db, topic) >= EVENTS);
        } finally {
            second.destroyForcibly();
            second.waitFor();
        }
        assertThat(AuditStageContract.count(db, "SELECT COUNT(*) FROM audit_events WHERE topic = ?", topic)).isEqualTo(EVENTS);
        assertThat(AuditStageContract.count(db, "SELECT COUNT(DISTINCT adapter_id) FROM adapters WHERE adapter_id LIKE ?", topic + "-%"))
                .isEqualTo(EVENTS);
        assertThat(AuditStageContract.count(db, "SELECT SUM(next_offset) FROM consumer_positions WHERE topic = ?", topic)).isEqualTo(EVENTS);
        try (Connection c = db.connect()) {
            assertThat(ChainVerifier.verify(c, List.of()).problems()).isEmpty();
        }
    }

    private static long stored(AuditDatabase db, String topic) {
        try {
            return AuditStageContract.count(db, "SELECT COUNT(*) FROM audit_events WHERE topic = ?", topic);
        } catch (java.sql.SQLException e) {
            return 0; // the schema is not migrated yet
        }
    }

    private static Process launch(SharedCluster.TestCluster cluster, AuditDatabase db, String topic, Path work, String name) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), AuditStageMain.class.getName());
        Map<String, String> env = pb.environment();
        env.put("SAFELORA_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        env.put("SAFELORA_REGISTRY_URL", cluster.registryUrl());
        env.put("SAFELORA_GROUP_ID", "audit-" + topic);
        env.put("SAFELORA_TOPICS", topic);
        env.put("SAFELORA_WORK_DIR", work.toString());
        env.put("SAFELORA_METRICS_PORT", "0");
        env.put("SAFELORA_AUDIT_JDBC_URL", db.jdbcUrl());
        if (db.user() != null) {
            env.put("SAFELORA_AUDIT_JDBC_USER", db.user());
            env.put("SAFELORA_AUDIT_JDBC_PASSWORD", db.password());
        }
        env.put("SAFELORA_AUDIT_ANCHOR_INTERVAL", "0");
        env.put("SAFELORA_KAFKA_CONSUMER_MAX_POLL_RECORDS", "25");
        // static membership: the restarted process takes the killed one's partitions at once, not after its session times out
        env.put("SAFELORA_KAFKA_CONSUMER_GROUP_INSTANCE_ID", "audit-" + topic + "-1");
        pb.redirectErrorStream(true);
        pb.redirectOutput(work.resolve(name + ".log").toFile());
        return pb.start();
    }
}
