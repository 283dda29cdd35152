package dev.safelora.contracts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;

/**
 * Renders an Avro record (specific or generic) as readable JSON for people: plain values instead
 * of Avro's JSON encoding, so {@code ["null","string"]} fields are just the string or null, UUIDs
 * and strings are strings, timestamps are ISO-8601, bytes are base64, NaN and infinities are
 * strings. A union with more than one
 * record branch (e.g. the outcome of an AlignmentEvent) is wrapped as
 * {@code {"AlignmentReady": {...}}} so readers can tell the branches apart.
 */
public final class AvroJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AvroJson() {}

    public static JsonNode toTree(IndexedRecord record) {
        return value(record.getSchema(), record);
    }

    /** Indented, multi-line JSON. */
    public static String toPrettyJson(IndexedRecord record) {
        try {
            return PRETTY.writeValueAsString(toTree(record));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render record as JSON", e);
        }
    }

    /** One line of JSON. */
    public static String toJson(IndexedRecord record) {
        return toTree(record).toString();
    }

    private static JsonNode value(Schema schema, Object datum) {
        if (datum == null) {
            return NODES.nullNode();
        }
        switch (schema.getType()) {
            case RECORD: {
                IndexedRecord record = (IndexedRecord) datum;
                ObjectNode node = NODES.objectNode();
                for (Schema.Field field : schema.getFields()) {
                    node.set(field.name(), value(field.schema(), record.get(field.pos())));
                }
                return node;
            }
            case UNION: {
                Schema branch = schema.getTypes().get(GenericData.get().resolveUnion(schema, datum));
                JsonNode inner = value(branch, datum);
                long recordBranches = schema.getTypes().stream().filter(s -> s.getType() == Schema.Type.RECORD).count();
                if (branch.getType() == Schema.Type.RECORD && recordBranches > 1) {
                    ObjectNode wrapped = NODES.objectNode();
                    wrapped.set(branch.getName(), inner);
                    return wrapped;
                }
                return inner;
            }
            case ARRAY: {
                ArrayNode array = NODES.arrayNode();
                for (Object item : (Collection<?>) datum) {
                    array.add(value(schema.getElementType(), item));
                }
                return array;
            }
            case MAP: {
                ObjectNode node = NODES.objectNode();
                ((Map<?, ?>) datum).forEach((k, v) -> node.set(k.toString(), value(schema.getValueType(), v)));
                return node;
            }
            case ENUM:
                return NODES.textNode(datum instanceof GenericEnumSymbol<?> symbol ? symbol.toString() : ((Enum<?>) datum).name());
            case STRING:
                return NODES.textNode(datum.toString());
            case BYTES: {
                ByteBuffer buffer = ((ByteBuffer) datum).duplicate();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
            }
            case FIXED:
                return NODES.textNode(Base64.getEncoder().encodeToString(((org.apache.avro.generic.GenericFixed) datum).bytes()));
            case INT:
                return NODES.numberNode(((Number) datum).intValue());
            case LONG:
                if (datum instanceof Instant instant) {
                    return NODES.textNode(instant.toString());
                }
                if ("timestamp-millis".equals(logicalName(schema))) {
                    return NODES.textNode(Instant.ofEpochMilli((Long) datum).toString());
                }
                return NODES.numberNode(((Number) datum).longValue());
            case FLOAT:
            case DOUBLE: {
                double d = ((Number) datum).doubleValue();
                // JSON has no NaN or Infinity: a diverged loss or metric is shown as the string "NaN".
                if (!Double.isFinite(d)) {
                    return NODES.textNode(Double.toString(d));
                }
                return schema.getType() == Schema.Type.FLOAT ? NODES.numberNode(((Number) datum).floatValue()) : NODES.numberNode(d);
            }
            case BOOLEAN:
                return NODES.booleanNode((Boolean) datum);
            case NULL:
                return NODES.nullNode();
            default:
                if (datum instanceof UUID uuid) {
                    return NODES.textNode(uuid.toString());
                }
                return NODES.textNode(datum.toString());
        }
    }

    private static String logicalName(Schema schema) {
        return schema.getLogicalType() == null ? null : schema.getLogicalType().getName();
    }
}
