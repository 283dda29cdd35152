package dev.safelora.audit.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.audit.ledger.Canonical;
import dev.safelora.audit.ledger.EventFacts;
import dev.safelora.audit.ledger.EventKind;
import dev.safelora.audit.ledger.LedgerEvent;
import dev.safelora.contracts.AvroJson;
import dev.safelora.contracts.Topic;
import dev.safelora.registry.RegistryUnreachableException;
import dev.safelora.serde.WireFormat;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Turns a consumed record into a {@link LedgerEvent}: decoded with its WRITER schema (so the JSON is what
 * the producer wrote, whatever version), its kind from the schema's record name, or a dead letter for a
 * {@code .dlq} topic (original key and value bytes, base64, with their sha256 and the reason headers).
 * Empty for what the ledger does not keep: tombstones and the non-terminal progress reports. A value that
 * cannot be decoded is kept as {@link EventKind#UNDECODABLE} with the reason; a registry that cannot be
 * reached is thrown ({@link RegistryUnreachableException}): not the record's fault, the loop retries it.
 */
public final class RecordReader {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Map<String, EventKind> KINDS = Map.of(
            "dev.safelora.schema.AlignmentEvent", EventKind.ALIGNMENT,
            "dev.safelora.schema.LayerSelection", EventKind.LAYER_SELECTION,
            "dev.safelora.schema.AdapterPublished", EventKind.ADAPTER,
            "dev.safelora.schema.EvaluationCompleted", EventKind.EVALUATION,
            "dev.safelora.schema.TrainingProgress", EventKind.JOB_OUTCOME);

    private final Deserializer<GenericRecord> decoder;
    private final Clock clock;

    public RecordReader(Deserializer<GenericRecord> decoder, Clock clock) {
        this.decoder = decoder;
        this.clock = clock;
    }

    public Optional<LedgerEvent> read(ConsumerRecord<byte[], byte[]> r) {
        if (r.topic().endsWith(Topic.DLQ_SUFFIX)) {
            return Optional.of(envelope(r, EventKind.DEAD_LETTER, null));
        }
        if (r.value() == null) {
            return Optional.empty();
        }
        GenericRecord value;
        try {
            value = decoder.deserialize(r.topic(), r.value());
        } catch (RegistryUnreachableException e) {
            throw e;
        } catch (SerializationException e) {
            if (e.getCause() instanceof RegistryUnreachableException unreachable) {
                throw unreachable;
            }
            return Optional.of(envelope(r, EventKind.UNDECODABLE, e.getMessage()));
        }
        EventKind kind = KINDS.get(value.getSchema().getFullName());
        if (kind == null) {
            return Optional.of(envelope(r, EventKind.UNDECODABLE,
                    "a " + value.getSchema().getFullName() + " is not an event the audit ledger keeps"));
        }
        JsonNode json = AvroJson.toTree(value);
        if (kind == EventKind.JOB_OUTCOME) {
            String phase = json.path("phase").asText();
            if (!phase.equals("COMPLETED") && !phase.equals("FAILED")) {
                return Optional.empty();
            }
        }
        return Optional.of(event(r, kind, json));
    }

    private LedgerEvent envelope(ConsumerRecord<byte[], byte[]> r, EventKind kind, String error) {
        ObjectNode json = NODES.objectNode();
        json.put("topic", r.topic());
        json.put("partition", r.partition());
        json.put("offset", r.offset());
        json.put("timestamp", r.timestamp());
        json.put("key", r.key() == null ? null : utf8OrBase64(r.key()));
        json.put("valueBase64", r.value() == null ? null : Base64.getEncoder().encodeToString(r.value()));
        json.put("valueSha256", r.value() == null ? null : Canonical.sha256Hex(r.value()));
        ObjectNode headers = json.putObject("headers");
        for (Header h : r.headers()) {
            headers.put(h.key(), h.value() == null ? null : utf8OrBase64(h.value()));
        }
        if (error != null) {
            json.put("error", error);
        }
        return event(r, kind, json);
    }

    private LedgerEvent event(ConsumerRecord<byte[], byte[]> r, EventKind kind, JsonNode json) {
        String key = LedgerEvent.key(r.topic(), r.partition(), r.offset());
        return new LedgerEvent(r.topic(), r.partition(), r.offset(), kind, EventFacts.eventId(key, kind, json),
                r.key() == null ? null : utf8OrBase64(r.key()), r.timestamp(), schemaId(r.value()),
                r.value() == null ? null : Canonical.sha256Hex(r.value()), headersJson(r), json.toString(),
                clock.millis(), EventFacts.of(key, kind, json));
    }

    private static String headersJson(ConsumerRecord<byte[], byte[]> r) {
        ArrayNode array = NODES.arrayNode();
        for (Header h : r.headers()) {
            ObjectNode o = array.addObject();
            o.put("key", h.key());
            o.put("value", h.value() == null ? null : utf8OrBase64(h.value()));
        }
        return array.toString();
    }

    private static Integer schemaId(byte[] value) {
        if (value == null || value.length < WireFormat.HEADER_SIZE || value[0] != WireFormat.MAGIC_BYTE) {
            return null;
        }
        return ByteBuffer.wrap(value, 1, 4).getInt();
    }

    /** UTF-8 text as is; anything else as {@code base64:<...>}. */
    static String utf8OrBase64(byte[] bytes) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            return "base64:" + Base64.getEncoder().encodeToString(bytes);
        }
    }
}
