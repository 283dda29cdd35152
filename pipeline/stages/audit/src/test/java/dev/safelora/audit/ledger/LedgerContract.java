package dev.safelora.audit.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.audit.AuditFixtures;
import dev.safelora.audit.stage.RecordReader;
import dev.safelora.contracts.Topic;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.LineageReason;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.testkit.SharedCluster;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ledger's guarantees on one kind of database: replays add nothing, the hash chains hold on an honest
 * ledger, and every kind of tampering is named by {@link ChainVerifier}. Subclasses pick the database.
 */
abstract class LedgerContract {

    private static final String ADAPTERS = Topic.ADAPTERS.topicName();
    private static final String EVALUATIONS = Topic.EVALUATIONS.topicName();

    protected abstract AuditDatabase newDatabase();

    private AuditDatabase db;
    private RecordReader reader;
    private AvroSerializer<SpecificRecord> serializer;

    @BeforeEach
    void ledger() {
        db = newDatabase();
        db.migrate();
        HttpSchemaRegistryClient registry = SharedCluster.get().registryClient();
        serializer = new AvroSerializer<>(registry, true);
        reader = new RecordReader(AvroDeserializer.generic(registry), Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC));
    }

    /** Five events on the adapters topic (offsets 0..4) and one evaluation, stored in two batches. */
    private List<LedgerEvent> honestLedger() throws SQLException {
        List<LedgerEvent> events = new ArrayList<>();
        String prev = null;
        for (int i = 0; i < 5; i++) {
            String id = "ad-" + i;
            events.add(event(ADAPTERS, i, AuditFixtures.adapter("fam", id, prev, prev == null ? LineageReason.NEW_TRAINING
                    : LineageReason.SELECTION_CHANGED, UUID.randomUUID(), AuditFixtures.T0.plusSeconds(i))));
            prev = id;
        }
        events.add(event(EVALUATIONS, 0, AuditFixtures.evaluation("fam", "ad-0", 0.6, 0.1, AuditFixtures.T0)));
        try (LedgerStore store = new LedgerStore(db.connect())) {
            assertThat(store.append(events.subList(0, 2), Map.of(new TopicPartition(ADAPTERS, 0), 2L))).isEqualTo(2);
            assertThat(store.append(events.subList(2, 6), Map.of(new TopicPartition(ADAPTERS, 0), 5L,
                    new TopicPartition(EVALUATIONS, 0), 1L))).isEqualTo(4);
        }
        return events;
    }

    private LedgerEvent event(String topic, long offset, SpecificRecord value) {
        ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>(topic, 0, offset, "key".getBytes(), serializer.serialize(topic, value));
        return reader.read(r).orElseThrow();
    }

    private ChainVerifier.Result verify() throws SQLException {
        try (Connection c = db.connect()) {
            return ChainVerifier.verify(c, List.of());
        }
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    @Test
    void anHonestLedgerVerifiesAndAReplayAddsNothing() throws SQLException {
        List<LedgerEvent> events = honestLedger();
        ChainVerifier.Result result = verify();
        assertThat(result.problems()).isEmpty();
        assertThat(result.events()).isEqualTo(6);
        assertThat(result.chains()).isEqualTo(2);

        try (LedgerStore store = new LedgerStore(db.connect())) {
            // the same offsets again, and the same adapter ids at new offsets: nothing is stored
            assertThat(store.append(events, Map.of(new TopicPartition(ADAPTERS, 0), 5L))).isZero();
            LedgerEvent again = event(ADAPTERS, 7, AuditFixtures.adapter("fam", "ad-3", "ad-2", LineageReason.SELECTION_CHANGED,
                    UUID.randomUUID(), AuditFixtures.T0));
            assertThat(store.append(List.of(again), Map.of(new TopicPartition(ADAPTERS, 0), 8L))).isZero();
            assertThat(store.head(new TopicPartition(ADAPTERS, 0)).nextOffset()).isEqualTo(8);
            assertThat(store.head(new TopicPartition(ADAPTERS, 0)).chainSeq()).isEqualTo(5);
        }
        assertThat(count("SELECT COUNT(*) FROM adapters")).isEqualTo(5);
        assertThat(verify().problems()).isEmpty();
    }

    @Test
    void theHashIsSha256OfThePreviousHashAndTheCanonicalBytes() throws Exception {
        honestLedger();
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
                "SELECT prev_hash, hash FROM audit_events WHERE topic = ? ORDER BY chain_seq")) {
            s.setString(1, ADAPTERS);
            try (ResultSet rs = s.executeQuery()) {
                String previous = Canonical.GENESIS;
                while (rs.next()) {
                    assertThat(rs.getString(1)).isEqualTo(previous);
                    previous = rs.getString(2);
                }
            }
        }
        // independent reference: sha256 over the raw concatenation, by the JDK
        var sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update(new byte[32]);
        sha.update(new byte[] {1, 2, 3});
        assertThat(Canonical.chain(Canonical.GENESIS, new byte[] {1, 2, 3})).isEqualTo(java.util.HexFormat.of().formatHex(sha.digest()));
    }

    @Test
    void aChangedEventIsNamed() throws SQLException {
        honestLedger();
        sql("UPDATE audit_events SET event_json = REPLACE(event_json, '\"fam\"', '\"other\"') WHERE event_key = '" + ADAPTERS + "/0/2'");
        assertThat(verify().problems()).singleElement().asString()
                .contains("row " + ADAPTERS + "/0/2").contains("was changed");
    }

    @Test
    void aChangedTypedColumnIsNamed() throws SQLException {
        honestLedger();
        sql("UPDATE evaluation_metrics SET metric_value = 0.01 WHERE name = 'attack_success_rate' AND phase = 'raw'");
        assertThat(verify().problems()).singleElement().asString()
                .contains("row " + EVALUATIONS + "/0/0").contains("evaluation_metrics column metric_value was changed");
    }

    @Test
    void aDeletedRowIsNamed() throws SQLException {
        honestLedger();
        sql("DELETE FROM adapters WHERE event_key = '" + ADAPTERS + "/0/1'");
        sql("DELETE FROM audit_events WHERE event_key = '" + ADAPTERS + "/0/1'");
        assertThat(verify().problems()).singleElement().asString()
                .contains("deleted").contains("sequence 2 missing before row " + ADAPTERS + "/0/2");
    }

    @Test
    void aDeletedLastRowIsNamed() throws SQLException {
        honestLedger();
        sql("DELETE FROM adapters WHERE event_key = '" + ADAPTERS + "/0/4'");
        sql("DELETE FROM audit_events WHERE event_key = '" + ADAPTERS + "/0/4'");
        assertThat(verify().problems()).singleElement().asString().contains("deleted after " + ADAPTERS + "/0/3");
    }

    @Test
    void anInsertedRowIsNamed() throws SQLException {
        honestLedger();
        // a forged row squeezed in: renumber the chain above it and insert a copy of row 1 at sequence 2
        sql("UPDATE audit_events SET chain_seq = chain_seq + 100 WHERE topic = '" + ADAPTERS + "' AND chain_seq >= 2");
        sql("UPDATE audit_events SET chain_seq = chain_seq - 99 WHERE topic = '" + ADAPTERS + "' AND chain_seq >= 100");
        sql("INSERT INTO audit_events (event_key, topic, kafka_partition, kafka_offset, chain_seq, kind, event_id, record_key, "
                + "record_timestamp, schema_id, payload_sha256, headers_json, event_json, prev_hash, hash, consumed_at) "
                + "SELECT 'forged', topic, kafka_partition, 100, 2, 'UNDECODABLE', 'forged', record_key, record_timestamp, "
                + "schema_id, payload_sha256, headers_json, NULL, hash, hash, consumed_at FROM audit_events WHERE event_key = '"
                + ADAPTERS + "/0/0'");
        assertThat(verify().problems()).first().asString().contains("forged");
    }

    @Test
    void aConsistentRewriteIsOnlyCaughtByTheAnchors() throws SQLException {
        honestLedger();
        ChainHead anchored;
        try (LedgerStore store = new LedgerStore(db.connect())) {
            anchored = store.head(new TopicPartition(ADAPTERS, 0));
        }
        // the attacker rewrites row 3 and recomputes every hash after it and the head
        sql("UPDATE audit_events SET event_json = REPLACE(event_json, '\"fam\"', '\"other\"') WHERE event_key = '" + ADAPTERS + "/0/3'");
        sql("UPDATE adapters SET family = 'other' WHERE event_key = '" + ADAPTERS + "/0/3'");
        rechain(ADAPTERS);
        assertThat(verify().problems()).isEmpty();

        try (Connection c = db.connect()) {
            ChainVerifier.Result result = ChainVerifier.verify(c,
                    List.of(new ChainVerifier.Anchor(ADAPTERS, 0, anchored.chainSeq(), anchored.headHash())));
            assertThat(result.problems()).singleElement().asString().contains("anchored head").contains("differs");
        }
    }

    /** What an attacker with write access to the whole database can do: recompute a chain from its rows. */
    private void rechain(String topic) throws SQLException {
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            String prev = Canonical.GENESIS;
            long seq = 0;
            try (PreparedStatement s = c.prepareStatement("SELECT event_key, kafka_partition, kafka_offset, chain_seq, kind, event_id, "
                    + "record_key, record_timestamp, schema_id, payload_sha256, headers_json, event_json, consumed_at FROM audit_events "
                    + "WHERE topic = ? ORDER BY chain_seq")) {
                s.setString(1, topic);
                try (ResultSet rs = s.executeQuery(); PreparedStatement u = c.prepareStatement(
                        "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE event_key = ?")) {
                    while (rs.next()) {
                        Integer schemaId = rs.getInt(9);
                        if (rs.wasNull()) {
                            schemaId = null;
                        }
                        seq = rs.getLong(4);
                        String hash = Canonical.chain(prev, Canonical.bytes(topic, rs.getInt(2), rs.getLong(3), seq, rs.getString(5),
                                rs.getString(6), rs.getString(7), rs.getLong(8), schemaId, rs.getString(10), rs.getString(11),
                                rs.getString(12), rs.getLong(13)));
                        u.setString(1, prev);
                        u.setString(2, hash);
                        u.setString(3, rs.getString(1));
                        u.executeUpdate();
                        prev = hash;
                    }
                }
            }
            try (PreparedStatement u = c.prepareStatement("UPDATE consumer_positions SET head_hash = ? WHERE topic = ?")) {
                u.setString(1, prev);
                u.setString(2, topic);
                u.executeUpdate();
            }
            c.commit();
        }
    }

    private long count(String query) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
