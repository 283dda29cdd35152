package dev.safelora.audit.query;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The questions auditors ask of the ledger, answered as {@link Table}s. Read-only. */
public final class AuditQueries {

    private final Connection connection;

    public AuditQueries(Connection connection) {
        this.connection = connection;
    }

    /** One published adapter as the reports and queries see it. */
    public record AdapterFacts(String adapterId, String family, String requestId, Instant publishedAt, String reason,
                               String previousAdapterId, List<String> projectedModules, String alignmentId, String uri,
                               String baseUri, String alignedUri, String selectionMode, Double selectionThreshold,
                               Integer selectionTopK, int loraR, double loraAlpha, String reportUri) {}

    /** One module's SafeLoRA cosine from the adapter's evaluation. */
    public record ModuleCosine(String module, Double cosine, boolean projected) {}

    /** The latest evaluation of an adapter. */
    public record EvaluationFacts(String evaluationId, Double pdst, Double trainLoss, Double heldOutLossBefore,
                                  Double heldOutLossAfter, List<ModuleCosine> modules,
                                  Map<String, Double[]> safety, Map<String, Double[]> task, Instant completedAt) {}

    /** Adapters of a family published at or after {@code since}, oldest first, with their metrics raw → projected. */
    public Table adapters(String family, Instant since) throws SQLException {
        List<List<String>> rows = new ArrayList<>();
        for (AdapterFacts a : adapterList(family, since)) {
            Optional<EvaluationFacts> e = evaluation(a.adapterId());
            rows.add(java.util.Arrays.asList(a.adapterId(), a.publishedAt().toString(), a.reason(), a.previousAdapterId(),
                    String.join(" ", a.projectedModules()), a.alignmentId(),
                    e.map(x -> metrics(x.safety())).orElse(null), e.map(x -> metrics(x.task())).orElse(null)));
        }
        return new Table(List.of("adapter", "published", "reason", "previous", "projected modules", "alignment",
                "safety raw->projected", "task raw->projected"), rows);
    }

    /** The adapter's ancestors (oldest first), the adapter, and every adapter that descends from it. */
    public Table lineage(String adapterId) throws SQLException {
        Optional<AdapterFacts> start = adapter(adapterId);
        if (start.isEmpty()) {
            throw new IllegalArgumentException("no adapter " + adapterId + " in the audit ledger");
        }
        List<AdapterFacts> chain = lineageOf(start.get());
        List<List<String>> rows = new ArrayList<>();
        for (AdapterFacts a : chain) {
            rows.add(java.util.Arrays.asList(a.adapterId().equals(adapterId) ? a.adapterId() + " *" : a.adapterId(),
                    a.previousAdapterId(), a.reason(), a.publishedAt().toString(), a.alignmentId(),
                    Integer.toString(a.projectedModules().size())));
        }
        return new Table(List.of("adapter", "previous", "reason", "published", "alignment", "projected"), rows);
    }

    /** Ancestors oldest first, then the adapter, then its descendants in publication order. */
    public List<AdapterFacts> lineageOf(AdapterFacts start) throws SQLException {
        List<AdapterFacts> ancestors = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>(List.of(start.adapterId()));
        AdapterFacts cursor = start;
        while (cursor.previousAdapterId() != null && seen.add(cursor.previousAdapterId())) {
            Optional<AdapterFacts> prev = adapter(cursor.previousAdapterId());
            if (prev.isEmpty()) {
                break;
            }
            cursor = prev.get();
            ancestors.add(0, cursor);
        }
        List<AdapterFacts> result = new ArrayList<>(ancestors);
        result.add(start);
        List<String> frontier = new ArrayList<>(List.of(start.adapterId()));
        while (!frontier.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (String id : frontier) {
                for (AdapterFacts child : select("WHERE previous_adapter_id = ? ORDER BY published_at, adapter_id", id)) {
                    if (seen.add(child.adapterId())) {
                        result.add(child);
                        next.add(child.adapterId());
                    }
                }
            }
            frontier = next;
        }
        return result;
    }

    /** Dead letters, undecodable records, failed jobs and failed alignments at or after {@code since}, oldest first. */
    public Table failures(Instant since) throws SQLException {
        List<List<String>> rows = new ArrayList<>();
        long from = since.toEpochMilli();
        query("SELECT d.failed_at, e.kind, d.dlq_topic, d.source_topic, d.record_key, d.cause, d.stage, d.error_message "
                + "FROM dead_letters d JOIN audit_events e ON e.event_key = d.event_key WHERE d.failed_at >= ?", from, rs ->
                rows.add(java.util.Arrays.asList(Instant.ofEpochMilli(rs.getLong(1)).toString(),
                        rs.getString(2).equals("UNDECODABLE") ? "undecodable record" : "dead letter",
                        rs.getString(4) == null ? rs.getString(3) : rs.getString(4), rs.getString(5), rs.getString(6),
                        rs.getString(7), rs.getString(8))));
        query("SELECT reported_at, request_id, adapter_id, message FROM job_outcomes WHERE phase = 'FAILED' AND reported_at >= ?", from, rs ->
                rows.add(java.util.Arrays.asList(Instant.ofEpochMilli(rs.getLong(1)).toString(), "job failed", "request " + rs.getString(2),
                        rs.getString(3), null, null, rs.getString(4))));
        query("SELECT completed_at, family, error_code, failure_reason FROM alignments WHERE outcome = 'FAILED' AND completed_at >= ?", from, rs ->
                rows.add(java.util.Arrays.asList(Instant.ofEpochMilli(rs.getLong(1)).toString(), "alignment failed", "family " + rs.getString(2),
                        null, rs.getString(3), "alignment", rs.getString(4))));
        rows.sort(java.util.Comparator.comparing(r -> r.get(0)));
        return new Table(List.of("time", "what", "source", "key/adapter", "cause", "stage", "reason"), rows);
    }

    public Optional<AdapterFacts> adapter(String adapterId) throws SQLException {
        List<AdapterFacts> found = select("WHERE adapter_id = ? ORDER BY published_at DESC", adapterId);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    public List<AdapterFacts> adapterList(String family, Instant since) throws SQLException {
        return select("WHERE family = ? AND published_at >= ? ORDER BY published_at, adapter_id", family, since.toEpochMilli());
    }

    /** The families in the ledger, by name. */
    public List<String> families() throws SQLException {
        List<String> result = new ArrayList<>();
        query("SELECT DISTINCT family FROM adapters WHERE published_at >= ? ORDER BY family", Long.MIN_VALUE, rs -> result.add(rs.getString(1)));
        return result;
    }

    /** The latest alignment of a family: id, outcome, base and aligned fingerprints, completion time. */
    public Optional<List<String>> latestAlignment(String family) throws SQLException {
        List<List<String>> found = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement("SELECT alignment_id, outcome, base_fingerprint, aligned_fingerprint, "
                + "completed_at, base_uri, aligned_uri FROM alignments WHERE family = ? ORDER BY completed_at DESC")) {
            s.setString(1, family);
            try (ResultSet rs = s.executeQuery()) {
                if (rs.next()) {
                    found.add(java.util.Arrays.asList(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            Instant.ofEpochMilli(rs.getLong(5)).toString(), rs.getString(6), rs.getString(7)));
                }
            }
        }
        return found.stream().findFirst();
    }

    public Optional<EvaluationFacts> evaluation(String adapterId) throws SQLException {
        String key = null;
        EvaluationFacts partial = null;
        try (PreparedStatement s = connection.prepareStatement("SELECT event_key, evaluation_id, pdst, train_loss, held_out_loss_before, "
                + "held_out_loss_after, completed_at FROM evaluations WHERE adapter_id = ? ORDER BY completed_at DESC")) {
            s.setString(1, adapterId);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                key = rs.getString(1);
                partial = new EvaluationFacts(rs.getString(2), dbl(rs, 3), dbl(rs, 4), dbl(rs, 5), dbl(rs, 6), List.of(), Map.of(), Map.of(),
                        Instant.ofEpochMilli(rs.getLong(7)));
            }
        }
        List<ModuleCosine> modules = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement(
                "SELECT module, cosine, projected FROM evaluation_modules WHERE event_key = ? ORDER BY position")) {
            s.setString(1, key);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    modules.add(new ModuleCosine(rs.getString(1), dbl(rs, 2), rs.getBoolean(3)));
                }
            }
        }
        Map<String, Double[]> safety = new LinkedHashMap<>();
        Map<String, Double[]> task = new LinkedHashMap<>();
        try (PreparedStatement s = connection.prepareStatement(
                "SELECT category, phase, name, metric_value FROM evaluation_metrics WHERE event_key = ? ORDER BY name")) {
            s.setString(1, key);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    Map<String, Double[]> target = rs.getString(1).equals("safety") ? safety : task;
                    Double[] pair = target.computeIfAbsent(rs.getString(3), k -> new Double[2]);
                    pair[rs.getString(2).equals("raw") ? 0 : 1] = dbl(rs, 4);
                }
            }
        }
        return Optional.of(new EvaluationFacts(partial.evaluationId(), partial.pdst(), partial.trainLoss(), partial.heldOutLossBefore(),
                partial.heldOutLossAfter(), modules, safety, task, partial.completedAt()));
    }

    private List<AdapterFacts> select(String where, Object... params) throws SQLException {
        List<AdapterFacts> result = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement("SELECT adapter_id, family, request_id, published_at, lineage_reason, "
                + "previous_adapter_id, projected_modules, alignment_id, uri, base_uri, aligned_uri, selection_mode, selection_threshold, "
                + "selection_top_k, lora_r, lora_alpha, report_uri FROM adapters " + where)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    String projected = rs.getString(7);
                    Integer topK = rs.getInt(14);
                    if (rs.wasNull()) {
                        topK = null;
                    }
                    result.add(new AdapterFacts(rs.getString(1), rs.getString(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)),
                            rs.getString(5), rs.getString(6), projected == null || projected.isEmpty() ? List.of() : List.of(projected.split(",")),
                            rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11), rs.getString(12), dbl(rs, 13), topK,
                            rs.getInt(15), rs.getDouble(16), rs.getString(17)));
                }
            }
        }
        return result;
    }

    private interface RowHandler {
        void row(ResultSet rs) throws SQLException;
    }

    private void query(String sql, long from, RowHandler handler) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setLong(1, from);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    handler.row(rs);
                }
            }
        }
    }

    private static Double dbl(ResultSet rs, int i) throws SQLException {
        double v = rs.getDouble(i);
        return rs.wasNull() ? null : v;
    }

    /** {@code name raw->projected; ...}, numbers to 4 significant digits. */
    static String metrics(Map<String, Double[]> m) {
        if (m.isEmpty()) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        m.forEach((name, pair) -> parts.add(name + " " + num(pair[0]) + "->" + num(pair[1])));
        return String.join("; ", parts);
    }

    public static String num(Double v) {
        return v == null ? "n/a" : String.format(Locale.ROOT, "%.4g", v);
    }
}
