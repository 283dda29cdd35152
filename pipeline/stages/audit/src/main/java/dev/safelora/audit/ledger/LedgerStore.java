package dev.safelora.audit.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * Appends consumed events to the ledger. One {@link #append} is one database transaction: the event rows,
 * their typed fact rows, and the consumer position of every partition of the batch, so the database alone
 * says how far the stage got. A record at or below the stored position, or whose event id is already stored
 * (a replay), adds nothing. Not thread-safe: the audit loop owns it.
 */
public final class LedgerStore implements AutoCloseable {

    /** Opens a store on a fresh connection. */
    @FunctionalInterface
    public interface Opener {
        LedgerStore open() throws SQLException;
    }

    private final Connection connection;
    private final Map<TopicPartition, ChainHead> heads = new HashMap<>();

    public LedgerStore(Connection connection) throws SQLException {
        this.connection = connection;
        connection.setAutoCommit(false);
    }

    /** The stored chain head of a partition (genesis when nothing was stored yet). */
    public ChainHead head(TopicPartition tp) throws SQLException {
        ChainHead head = loadHead(tp);
        connection.commit();
        return head;
    }

    private ChainHead loadHead(TopicPartition tp) throws SQLException {
        ChainHead cached = heads.get(tp);
        if (cached != null) {
            return cached;
        }
        ChainHead head = ChainHead.genesis(tp.topic(), tp.partition());
        try (PreparedStatement s = connection.prepareStatement(
                "SELECT next_offset, chain_seq, head_hash FROM consumer_positions WHERE topic = ? AND kafka_partition = ?")) {
            s.setString(1, tp.topic());
            s.setInt(2, tp.partition());
            try (ResultSet rs = s.executeQuery()) {
                if (rs.next()) {
                    head = new ChainHead(tp.topic(), tp.partition(), rs.getLong(2), rs.getString(3), rs.getLong(1));
                }
            }
        }
        heads.put(tp, head);
        return head;
    }

    /** Every stored chain head. */
    public List<ChainHead> heads() throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(
                "SELECT topic, kafka_partition, chain_seq, head_hash, next_offset FROM consumer_positions ORDER BY topic, kafka_partition");
             ResultSet rs = s.executeQuery()) {
            List<ChainHead> result = new java.util.ArrayList<>();
            while (rs.next()) {
                result.add(new ChainHead(rs.getString(1), rs.getInt(2), rs.getLong(3), rs.getString(4), rs.getLong(5)));
            }
            connection.commit();
            return result;
        }
    }

    /**
     * Stores {@code events} (in consumption order) and moves every partition in {@code nextOffsets} to its new
     * position, atomically. Returns how many events were stored (replays excluded). On failure nothing is
     * stored and the cached heads are dropped, so the next call reads them again.
     */
    public int append(List<LedgerEvent> events, Map<TopicPartition, Long> nextOffsets) throws SQLException {
        Map<TopicPartition, ChainHead> updated = new HashMap<>();
        Set<String> idsInBatch = new HashSet<>();
        int stored = 0;
        try {
            for (LedgerEvent e : events) {
                TopicPartition tp = new TopicPartition(e.topic(), e.partition());
                ChainHead head = updated.containsKey(tp) ? updated.get(tp) : loadHead(tp);
                if (e.offset() < head.nextOffset() || !idsInBatch.add(e.kind() + "\u0000" + e.eventId())
                        || exists(e.kind(), e.eventId())) {
                    continue;
                }
                long seq = head.chainSeq() + 1;
                String hash = Canonical.chain(head.headHash(), Canonical.bytes(e.topic(), e.partition(), e.offset(), seq,
                        e.kind().name(), e.eventId(), e.recordKey(), e.recordTimestamp(), e.schemaId(), e.payloadSha256(),
                        e.headersJson(), e.eventJson(), e.consumedAt()));
                insertEvent(e, seq, head.headHash(), hash);
                for (Row row : e.facts()) {
                    insert(row);
                }
                updated.put(tp, new ChainHead(e.topic(), e.partition(), seq, hash, e.offset() + 1));
                stored++;
            }
            for (Map.Entry<TopicPartition, Long> n : nextOffsets.entrySet()) {
                ChainHead head = updated.containsKey(n.getKey()) ? updated.get(n.getKey()) : loadHead(n.getKey());
                if (n.getValue() > head.nextOffset()) {
                    head = new ChainHead(head.topic(), head.partition(), head.chainSeq(), head.headHash(), n.getValue());
                }
                updated.put(n.getKey(), head);
            }
            for (ChainHead head : updated.values()) {
                savePosition(head);
            }
            connection.commit();
            heads.putAll(updated);
            return stored;
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly();
            heads.clear();
            throw e;
        }
    }

    private boolean exists(EventKind kind, String eventId) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT 1 FROM audit_events WHERE kind = ? AND event_id = ?")) {
            s.setString(1, kind.name());
            s.setString(2, eventId);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    private void insertEvent(LedgerEvent e, long seq, String prev, String hash) throws SQLException {
        insert(new Row("audit_events", List.of(
                Column.text("event_key", e.eventKey()),
                Column.text("topic", e.topic()),
                Column.integer("kafka_partition", e.partition()),
                Column.bigint("kafka_offset", e.offset()),
                Column.bigint("chain_seq", seq),
                Column.text("kind", e.kind().name()),
                Column.text("event_id", e.eventId()),
                Column.text("record_key", e.recordKey()),
                Column.bigint("record_timestamp", e.recordTimestamp()),
                Column.integer("schema_id", e.schemaId()),
                Column.text("payload_sha256", e.payloadSha256()),
                Column.text("headers_json", e.headersJson()),
                Column.text("event_json", e.eventJson()),
                Column.text("prev_hash", prev),
                Column.text("hash", hash),
                Column.bigint("consumed_at", e.consumedAt()))));
    }

    private void savePosition(ChainHead head) throws SQLException {
        try (PreparedStatement u = connection.prepareStatement(
                "UPDATE consumer_positions SET next_offset = ?, chain_seq = ?, head_hash = ?, updated_at = ? WHERE topic = ? AND kafka_partition = ?")) {
            u.setLong(1, head.nextOffset());
            u.setLong(2, head.chainSeq());
            u.setString(3, head.headHash());
            u.setLong(4, System.currentTimeMillis());
            u.setString(5, head.topic());
            u.setInt(6, head.partition());
            if (u.executeUpdate() == 1) {
                return;
            }
        }
        try (PreparedStatement i = connection.prepareStatement(
                "INSERT INTO consumer_positions (topic, kafka_partition, next_offset, chain_seq, head_hash, updated_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            i.setString(1, head.topic());
            i.setInt(2, head.partition());
            i.setLong(3, head.nextOffset());
            i.setLong(4, head.chainSeq());
            i.setString(5, head.headHash());
            i.setLong(6, System.currentTimeMillis());
            i.executeUpdate();
        }
    }

    void insert(Row row) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(row.insertSql())) {
            int i = 1;
            for (Column c : row.columns()) {
                bind(s, i++, c);
            }
            s.executeUpdate();
        }
    }

    static void bind(PreparedStatement s, int index, Column c) throws SQLException {
        Object v = c.value();
        switch (c.type()) {
            case TEXT -> { if (v == null) s.setNull(index, Types.VARCHAR); else s.setString(index, (String) v); }
            case INTEGER -> { if (v == null) s.setNull(index, Types.INTEGER); else s.setInt(index, (Integer) v); }
            case BIGINT -> { if (v == null) s.setNull(index, Types.BIGINT); else s.setLong(index, (Long) v); }
            case DOUBLE -> { if (v == null) s.setNull(index, Types.DOUBLE); else s.setDouble(index, (Double) v); }
            case BOOLEAN -> { if (v == null) s.setNull(index, Types.BOOLEAN); else s.setBoolean(index, (Boolean) v); }
            case BYTES -> { if (v == null) s.setNull(index, Types.BINARY); else s.setBytes(index, (byte[]) v); }
        }
    }

    private void rollbackQuietly() {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the caller sees the original error
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
