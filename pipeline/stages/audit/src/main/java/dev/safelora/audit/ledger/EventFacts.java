package dev.safelora.audit.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/**
 * The typed rows of an event, derived from its JSON alone (the value decoded with its writer schema, as
 * {@code dev.safelora.contracts.AvroJson} renders it, or the dead-letter envelope of {@code RecordReader}). The
 * stage stores them; {@link ChainVerifier} derives them again from the hashed JSON and compares, so a typed
 * column changed in place is found like a changed event.
 */
public final class EventFacts {

    private EventFacts() {}

    public static List<Row> of(String eventKey, EventKind kind, JsonNode event) {
        return switch (kind) {
            case ALIGNMENT -> alignment(eventKey, event);
            case LAYER_SELECTION -> List.of(selection(eventKey, event));
            case ADAPTER -> List.of(adapter(eventKey, event));
            case EVALUATION -> evaluation(eventKey, event);
            case JOB_OUTCOME -> List.of(jobOutcome(eventKey, event));
            case DEAD_LETTER, UNDECODABLE -> List.of(deadLetter(eventKey, kind, event));
        };
    }

    /** The id that makes an event unique within its kind: a replay with the same id adds nothing. */
    public static String eventId(String eventKey, EventKind kind, JsonNode event) {
        return switch (kind) {
            case ALIGNMENT -> text(event, "alignmentId");
            case LAYER_SELECTION -> text(event, "selectionId");
            case ADAPTER -> text(event, "adapterId");
            case EVALUATION -> text(event, "evaluationId");
            case JOB_OUTCOME -> text(event, "jobId") + "/" + text(event, "phase");
            case DEAD_LETTER -> {
                JsonNode h = event.path("headers");
                String source = text(h, "safelora.dlq.source.topic");
                yield source == null ? eventKey
                        : text(event, "topic") + "/" + source + "/" + text(h, "safelora.dlq.source.partition") + "/"
                                + text(h, "safelora.dlq.source.offset") + "/" + text(h, "safelora.dlq.stage") + "/" + text(event, "valueSha256");
            }
            case UNDECODABLE -> eventKey;
        };
    }

    private static List<Row> alignment(String key, JsonNode e) {
        JsonNode outcome = e.path("outcome");
        JsonNode ready = outcome.path("AlignmentReady");
        JsonNode failed = outcome.path("AlignmentFailed");
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("alignments", List.of(
                Column.text("event_key", key),
                Column.text("alignment_id", text(e, "alignmentId")),
                Column.text("registration_id", text(e, "registrationId")),
                Column.text("family", text(e, "family")),
                Column.text("base_uri", text(e, "baseUri")),
                Column.text("aligned_uri", text(e, "alignedUri")),
                Column.text("outcome", ready.isObject() ? "READY" : "FAILED"),
                Column.text("alignment_uri", text(ready, "alignmentUri")),
                Column.text("base_fingerprint", text(ready, "baseFingerprint")),
                Column.text("aligned_fingerprint", text(ready, "alignedFingerprint")),
                Column.text("failure_reason", text(failed, "reason")),
                Column.text("error_code", text(failed, "errorCode")),
                Column.bigint("duration_ms", ready.isObject() ? longValue(ready, "durationMs") : null),
                Column.bigint("completed_at", millis(e, "completedAt")))));
        int position = 0;
        for (JsonNode m : ready.path("modules")) {
            rows.add(new Row("alignment_modules", List.of(
                    Column.text("event_key", key),
                    Column.integer("position", position++),
                    Column.text("module", text(m, "module")),
                    Column.integer("rows_m", m.path("rows").asInt()),
                    Column.integer("columns_n", m.path("columns").asInt()),
                    Column.dbl("frobenius_norm", finite(m, "frobeniusNorm")))));
        }
        return rows;
    }

    private static Row selection(String key, JsonNode e) {
        JsonNode p = e.path("policy");
        return new Row("layer_selections", List.of(
                Column.text("event_key", key),
                Column.text("selection_id", text(e, "selectionId")),
                Column.text("scope", text(e, "scope")),
                Column.text("target", text(e, "target")),
                Column.text("mode", text(p, "mode")),
                Column.dbl("threshold", finite(p, "threshold")),
                Column.integer("top_k", p.path("topK").isNumber() ? p.path("topK").asInt() : null),
                Column.text("layers", joined(p.path("layers"))),
                Column.text("modules", joined(p.path("modules"))),
                Column.text("requested_by", text(e, "requestedBy")),
                Column.bigint("requested_at", millis(e, "requestedAt")),
                Column.text("reason", text(e, "reason"))));
    }

    private static Row adapter(String key, JsonNode e) {
        JsonNode a = e.path("alignment");
        JsonNode lora = e.path("lora");
        JsonNode sel = e.path("selection");
        return new Row("adapters", List.of(
                Column.text("event_key", key),
                Column.text("adapter_id", text(e, "adapterId")),
                Column.text("request_id", text(e, "requestId")),
                Column.text("family", text(e, "family")),
                Column.text("uri", text(e, "uri")),
                Column.text("sha256", text(e, "sha256")),
                Column.text("raw_adapter_uri", text(e, "rawAdapterUri")),
                Column.text("base_uri", text(e, "baseUri")),
                Column.text("alignment_id", text(a, "alignmentId")),
                Column.text("alignment_uri", text(a, "alignmentUri")),
                Column.text("aligned_uri", text(a, "alignedUri")),
                Column.integer("lora_r", lora.path("r").asInt()),
                Column.dbl("lora_alpha", finite(lora, "alpha")),
                Column.text("selection_mode", text(sel, "mode")),
                Column.dbl("selection_threshold", finite(sel, "threshold")),
                Column.integer("selection_top_k", sel.path("topK").isNumber() ? sel.path("topK").asInt() : null),
                Column.text("projected_modules", joined(e.path("projectedModules"))),
                Column.text("previous_adapter_id", text(e, "previousAdapterId")),
                Column.text("lineage_reason", text(e, "reason")),
                Column.text("report_uri", text(e, "reportUri")),
                Column.bigint("published_at", millis(e, "publishedAt"))));
    }

    private static List<Row> evaluation(String key, JsonNode e) {
        JsonNode t = e.path("timings");
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("evaluations", List.of(
                Column.text("event_key", key),
                Column.text("evaluation_id", text(e, "evaluationId")),
                Column.text("adapter_id", text(e, "adapterId")),
                Column.text("request_id", text(e, "requestId")),
                Column.text("family", text(e, "family")),
                Column.dbl("pdst", finite(e, "pdst")),
                Column.dbl("train_loss", finite(e, "trainLoss")),
                Column.dbl("held_out_loss_before", finite(e, "heldOutLossBefore")),
                Column.dbl("held_out_loss_after", finite(e, "heldOutLossAfter")),
                Column.bigint("training_ms", t.path("trainingMs").asLong()),
                Column.bigint("projection_ms", t.path("projectionMs").asLong()),
                Column.bigint("evaluation_ms", t.path("evaluationMs").asLong()),
                Column.bigint("total_ms", t.path("totalMs").asLong()),
                Column.bigint("completed_at", millis(e, "completedAt")))));
        int position = 0;
        for (JsonNode m : e.path("modules")) {
            rows.add(new Row("evaluation_modules", List.of(
                    Column.text("event_key", key),
                    Column.integer("position", position++),
                    Column.text("module", text(m, "module")),
                    Column.dbl("cosine", finite(m, "cosine")),
                    Column.bool("projected", m.path("projected").asBoolean()))));
        }
        metrics(rows, key, "task", "raw", e.path("taskMetricsBefore"));
        metrics(rows, key, "task", "projected", e.path("taskMetricsAfter"));
        metrics(rows, key, "safety", "raw", e.path("safetyMetricsBefore"));
        metrics(rows, key, "safety", "projected", e.path("safetyMetricsAfter"));
        return rows;
    }

    private static void metrics(List<Row> rows, String key, String category, String phase, JsonNode map) {
        // sorted by name: the same rows whatever order the map was written in
        List<String> names = new ArrayList<>();
        map.fieldNames().forEachRemaining(names::add);
        names.sort(null);
        for (String name : names) {
            rows.add(new Row("evaluation_metrics", List.of(
                    Column.text("event_key", key),
                    Column.text("category", category),
                    Column.text("phase", phase),
                    Column.text("name", name),
                    Column.dbl("metric_value", finite(map, name)))));
        }
    }

    private static Row jobOutcome(String key, JsonNode e) {
        return new Row("job_outcomes", List.of(
                Column.text("event_key", key),
                Column.text("request_id", text(e, "requestId")),
                Column.text("job_id", text(e, "jobId")),
                Column.text("adapter_id", text(e, "adapterId")),
                Column.text("phase", text(e, "phase")),
                Column.bigint("step", e.path("step").asLong()),
                Column.bigint("total_steps", e.path("totalSteps").asLong()),
                Column.dbl("loss", finite(e, "loss")),
                Column.text("message", text(e, "message")),
                Column.bigint("reported_at", millis(e, "reportedAt"))));
    }

    private static Row deadLetter(String key, EventKind kind, JsonNode e) {
        JsonNode h = e.path("headers");
        boolean dlq = kind == EventKind.DEAD_LETTER;
        String value = text(e, "valueBase64");
        String failedAt = text(h, "safelora.dlq.failed.at");
        Long failedMillis = e.path("timestamp").asLong();
        if (dlq && failedAt != null) {
            try {
                failedMillis = Instant.parse(failedAt).toEpochMilli();
            } catch (DateTimeParseException ignored) {
                // a malformed header keeps the record's timestamp
            }
        }
        return new Row("dead_letters", List.of(
                Column.text("event_key", key),
                Column.text("dlq_topic", text(e, "topic")),
                Column.text("source_topic", dlq ? text(h, "safelora.dlq.source.topic") : text(e, "topic")),
                Column.integer("source_partition", dlq ? intOrNull(text(h, "safelora.dlq.source.partition")) : Integer.valueOf(e.path("partition").asInt())),
                Column.bigint("source_offset", dlq ? longOrNull(text(h, "safelora.dlq.source.offset")) : Long.valueOf(e.path("offset").asLong())),
                Column.text("record_key", text(e, "key")),
                Column.bytes("payload", value == null ? null : Base64.getDecoder().decode(value)),
                Column.text("payload_sha256", text(e, "valueSha256")),
                Column.text("cause", dlq ? text(h, "safelora.dlq.cause") : "DESERIALIZATION"),
                Column.text("error_class", dlq ? text(h, "safelora.dlq.error.class") : null),
                Column.text("error_message", dlq ? text(h, "safelora.dlq.error.message") : text(e, "error")),
                Column.text("stage", dlq ? text(h, "safelora.dlq.stage") : "audit"),
                Column.integer("attempts", dlq ? intOrNull(text(h, "safelora.dlq.attempts")) : null),
                Column.bigint("failed_at", failedMillis)));
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isMissingNode() || v.isNull() ? null : v.asText();
    }

    private static Long longValue(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isNumber() ? v.asLong() : null;
    }

    /** The number, or null when absent or not finite (AvroJson writes NaN and infinities as strings). */
    private static Double finite(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isNumber() ? v.asDouble() : null;
    }

    private static Long millis(JsonNode node, String field) {
        JsonNode v = node.path(field);
        if (v.isNumber()) {
            return v.asLong();
        }
        if (v.isTextual()) {
            return Instant.parse(v.asText()).toEpochMilli();
        }
        return 0L;
    }

    private static String joined(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).collect(Collectors.joining(","));
    }

    private static Integer intOrNull(String s) {
        try {
            return s == null ? null : Integer.valueOf(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long longOrNull(String s) {
        try {
            return s == null ? null : Long.valueOf(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
