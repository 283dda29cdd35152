package dev.safelora.audit.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Recomputes every hash chain of a ledger and names the first row where each one breaks:
 * <ul>
 *   <li>a row whose content changed (its recomputed hash differs from the stored one);</li>
 *   <li>a deleted row (a gap in the chain sequence, or a chain shorter than its stored head says);</li>
 *   <li>an inserted row (its previous hash is not the hash of the row before it);</li>
 *   <li>a typed fact row that differs from what the event's hashed JSON says, or that has no event;</li>
 *   <li>a chain head that differs from an anchor published to Kafka (the whole chain was rewritten).</li>
 * </ul>
 * What it cannot see: a rewrite of the whole database (rows, hashes and heads recomputed) after the last
 * anchor, or events that were never consumed. See docs/audit.md.
 */
public final class ChainVerifier {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FACT_TABLES = List.of("alignments", "alignment_modules", "layer_selections", "adapters",
            "evaluations", "evaluation_modules", "evaluation_metrics", "job_outcomes", "dead_letters");

    /** An anchored head, as read from the anchors topic. */
    public record Anchor(String topic, int partition, long chainSeq, String headHash) {}

    /** The outcome: how much was checked and every break found (empty when all chains hold). */
    public record Result(int chains, long events, List<String> problems) {
        public Result {
            problems = List.copyOf(problems);
        }

        public boolean holds() {
            return problems.isEmpty();
        }
    }

    private ChainVerifier() {}

    public static Result verify(Connection c, List<Anchor> anchors) throws SQLException {
        List<String> problems = new ArrayList<>();
        Map<String, ChainHead> heads = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT topic, kafka_partition, chain_seq, head_hash, next_offset FROM consumer_positions ORDER BY topic, kafka_partition");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                ChainHead h = new ChainHead(rs.getString(1), rs.getInt(2), rs.getLong(3), rs.getString(4), rs.getLong(5));
                heads.put(h.topic() + "/" + h.partition(), h);
            }
        }
        Map<String, Map<String, Integer>> factCounts = factCounts(c);
        Map<String, Map<Long, String>> hashesBySeq = new HashMap<>();
        Map<String, String> broken = new LinkedHashMap<>();
        long events = 0;
        try (PreparedStatement s = c.prepareStatement("SELECT event_key, topic, kafka_partition, kafka_offset, chain_seq, kind, event_id, "
                + "record_key, record_timestamp, schema_id, payload_sha256, headers_json, event_json, prev_hash, hash, consumed_at "
                + "FROM audit_events ORDER BY topic, kafka_partition, chain_seq");
             ResultSet rs = s.executeQuery()) {
            String chain = null;
            long expectedSeq = 0;
            String prevHash = Canonical.GENESIS;
            long prevOffset = -1;
            String prevKey = null;
            while (rs.next()) {
                events++;
                String key = rs.getString(1);
                String topic = rs.getString(2);
                int partition = rs.getInt(3);
                long offset = rs.getLong(4);
                long seq = rs.getLong(5);
                String id = topic + "/" + partition;
                if (!id.equals(chain)) {
                    if (chain != null) {
                        checkHead(chain, expectedSeq, prevHash, prevKey, heads, broken);
                    }
                    chain = id;
                    expectedSeq = 0;
                    prevHash = Canonical.GENESIS;
                    prevOffset = -1;
                    prevKey = null;
                }
                expectedSeq++;
                Integer schemaId = (Integer) nullable(rs.getInt(10), rs.wasNull());
                String kind = rs.getString(6);
                String eventJson = rs.getString(13);
                String storedPrev = rs.getString(14);
                String storedHash = rs.getString(15);
                String recomputed = hexOk(storedPrev) ? Canonical.chain(storedPrev, Canonical.bytes(topic, partition, offset, seq, kind,
                        rs.getString(7), rs.getString(8), rs.getLong(9), schemaId, rs.getString(11), rs.getString(12),
                        eventJson, rs.getLong(16))) : null;
                hashesBySeq.computeIfAbsent(id, k -> new HashMap<>()).put(seq, storedHash);
                if (broken.containsKey(id)) {
                    continue;
                }
                if (seq != expectedSeq) {
                    broken.put(id, seq > expectedSeq
                            ? "chain " + id + ": row(s) deleted: sequence " + expectedSeq + (seq - 1 > expectedSeq ? ".." + (seq - 1) : "")
                                    + " missing before row " + key
                            : "chain " + id + ": row inserted: " + key + " repeats sequence " + seq);
                } else if (!Objects.equals(storedPrev, prevHash)) {
                    broken.put(id, "chain " + id + ": row " + key + " does not follow " + (prevKey == null ? "the start of the chain" : prevKey)
                            + " (previous hash differs): a row was inserted or deleted here");
                } else if (!Objects.equals(recomputed, storedHash)) {
                    broken.put(id, "chain " + id + ": row " + key + " (sequence " + seq + ") was changed: its content no longer hashes to its stored hash");
                } else if (offset <= prevOffset) {
                    broken.put(id, "chain " + id + ": row " + key + " is out of offset order after " + prevKey);
                } else {
                    String facts = checkFacts(c, key, kind, eventJson, factCounts);
                    if (facts != null) {
                        broken.put(id, "chain " + id + ": row " + key + ": " + facts);
                    }
                }
                prevHash = storedHash;
                prevOffset = offset;
                prevKey = key;
            }
            if (chain != null) {
                checkHead(chain, expectedSeq, prevHash, prevKey, heads, broken);
            }
        }
        for (ChainHead h : heads.values()) {
            String id = h.topic() + "/" + h.partition();
            if (h.chainSeq() > 0 && !hashesBySeq.containsKey(id)) {
                broken.put(id, "chain " + id + ": all " + h.chainSeq() + " rows deleted");
            }
        }
        problems.addAll(broken.values());
        for (Map.Entry<String, Map<String, Integer>> table : factCounts.entrySet()) {
            for (String orphan : table.getValue().keySet()) {
                if (!eventExists(c, orphan)) {
                    problems.add("table " + table.getKey() + ": row(s) inserted for " + orphan + ", which is not a ledger event");
                }
            }
        }
        for (Anchor a : anchors) {
            String id = a.topic() + "/" + a.partition();
            String stored = hashesBySeq.getOrDefault(id, Map.of()).get(a.chainSeq());
            if (!a.headHash().equals(stored)) {
                problems.add("chain " + id + ": anchored head (sequence " + a.chainSeq() + ", hash " + a.headHash().substring(0, 12)
                        + "...) " + (stored == null ? "is missing" : "differs") + ": the chain was rewritten or truncated");
            }
        }
        return new Result(heads.size(), events, problems);
    }

    private static void checkHead(String chain, long count, String lastHash, String lastKey, Map<String, ChainHead> heads,
                                  Map<String, String> broken) {
        if (broken.containsKey(chain)) {
            return;
        }
        ChainHead head = heads.get(chain);
        if (head == null) {
            broken.put(chain, "chain " + chain + ": no stored position for this chain (consumer_positions row deleted)");
        } else if (head.chainSeq() > count) {
            broken.put(chain, "chain " + chain + ": row(s) deleted after " + lastKey + ": the head says " + head.chainSeq()
                    + " rows, the chain has " + count);
        } else if (head.chainSeq() < count) {
            broken.put(chain, "chain " + chain + ": row(s) inserted after sequence " + head.chainSeq() + " (last row " + lastKey + ")");
        } else if (!head.headHash().equals(lastHash)) {
            broken.put(chain, "chain " + chain + ": the stored head hash differs from the last row " + lastKey);
        }
    }

    private static String checkFacts(Connection c, String key, String kind, String eventJson,
                                     Map<String, Map<String, Integer>> counts) throws SQLException {
        List<Row> derived;
        try {
            JsonNode event = eventJson == null ? JSON.createObjectNode() : JSON.readTree(eventJson);
            derived = EventFacts.of(key, EventKind.valueOf(kind), event);
        } catch (Exception e) {
            return "its event JSON cannot be read back (" + e.getClass().getSimpleName() + ")";
        }
        Map<String, List<Row>> byTable = derived.stream().collect(Collectors.groupingBy(Row::table, LinkedHashMap::new, Collectors.toList()));
        for (String table : FACT_TABLES) {
            int stored = counts.getOrDefault(table, Map.of()).getOrDefault(key, 0);
            counts.getOrDefault(table, new HashMap<>()).remove(key);
            List<Row> expected = byTable.getOrDefault(table, List.of());
            if (stored != expected.size()) {
                return "table " + table + " holds " + stored + " row(s) for it, its event says " + expected.size();
            }
            if (expected.isEmpty()) {
                continue;
            }
            List<Column> columns = expected.get(0).columns();
            String sql = "SELECT " + columns.stream().map(Column::name).collect(Collectors.joining(", ")) + " FROM " + table + " WHERE event_key = ?";
            List<String> actual = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setString(1, key);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        StringBuilder b = new StringBuilder();
                        for (int i = 0; i < columns.size(); i++) {
                            b.append(read(rs, i + 1, columns.get(i).type())).append('\u0001');
                        }
                        actual.add(b.toString());
                    }
                }
            }
            List<String> wanted = expected.stream().map(r -> r.columns().stream().map(col -> normal(col.type(), col.value()))
                    .collect(Collectors.joining("\u0001")) + "\u0001").sorted().toList();
            actual.sort(null);
            if (!wanted.equals(actual)) {
                for (int i = 0; i < wanted.size(); i++) {
                    if (!wanted.get(i).equals(actual.get(i))) {
                        String[] w = wanted.get(i).split("\u0001", -1);
                        String[] a = actual.get(i).split("\u0001", -1);
                        for (int j = 0; j < columns.size(); j++) {
                            if (!w[j].equals(a[j])) {
                                return "table " + table + " column " + columns.get(j).name() + " was changed (it no longer matches the hashed event)";
                            }
                        }
                    }
                }
                return "table " + table + " was changed";
            }
        }
        return null;
    }

    private static String read(ResultSet rs, int i, Column.Type type) throws SQLException {
        return switch (type) {
            case TEXT -> normal(type, rs.getString(i));
            case INTEGER, BIGINT -> normal(type, nullable(rs.getLong(i), rs.wasNull()));
            case DOUBLE -> normal(type, nullable(rs.getDouble(i), rs.wasNull()));
            case BOOLEAN -> normal(type, nullable(rs.getBoolean(i), rs.wasNull()));
            case BYTES -> normal(type, rs.getBytes(i));
        };
    }

    private static String normal(Column.Type type, Object v) {
        if (v == null) {
            return "null";
        }
        return switch (type) {
            case TEXT -> "s:" + v;
            case INTEGER, BIGINT -> "n:" + ((Number) v).longValue();
            case DOUBLE -> "d:" + ((Number) v).doubleValue();
            case BOOLEAN -> "b:" + v;
            case BYTES -> "x:" + HexFormat.of().formatHex((byte[]) v);
        };
    }

    private static Object nullable(Object v, boolean wasNull) {
        return wasNull ? null : v;
    }

    private static boolean hexOk(String s) {
        return s != null && s.length() == 64 && s.chars().allMatch(ch -> Character.digit(ch, 16) >= 0);
    }

    private static Map<String, Map<String, Integer>> factCounts(Connection c) throws SQLException {
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        for (String table : FACT_TABLES) {
            Map<String, Integer> m = new HashMap<>();
            try (PreparedStatement s = c.prepareStatement("SELECT event_key, COUNT(*) FROM " + table + " GROUP BY event_key");
                 ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    m.put(rs.getString(1), rs.getInt(2));
                }
            }
            counts.put(table, m);
        }
        return counts;
    }

    private static boolean eventExists(Connection c, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM audit_events WHERE event_key = ?")) {
            s.setString(1, key);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }
}
