package dev.safelora.serde;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;

/**
 * Avro data as plain JSON for people (the {@code tail} command): records as objects, unions
 * unwrapped, enums as their symbol, bytes and fixed as base64, {@code timestamp-millis} as an
 * ISO-8601 instant, non-finite doubles as strings. Not Avro's JSON encoding, which wraps union
 * values in their type name.
 */
public final class AvroJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private AvroJson() {
    }

    public static JsonNode toJson(GenericContainer datum) {
        return datum == null ? NODES.nullNode() : toJson(datum, datum.getSchema());
    }

    public static JsonNode toJson(Object datum, Schema schema) {
        if (datum == null) {
            return NODES.nullNode();
        }
        LogicalType logical = schema.getLogicalType();
        switch (schema.getType()) {
            case RECORD -> {
                IndexedRecord record = (IndexedRecord) datum;
                ObjectNode node = NODES.objectNode();
                for (Schema.Field field : schema.getFields()) {
                    node.set(field.name(), toJson(record.get(field.pos()), field.schema()));
                }
                return node;
            }
            case UNION -> {
                int branch = GenericData.get().resolveUnion(schema, datum);
                return toJson(datum, schema.getTypes().get(branch));
            }
            case ARRAY -> {
                ArrayNode node = NODES.arrayNode();
                for (Object item : (Iterable<?>) datum) {
                    node.add(toJson(item, schema.getElementType()));
                }
                return node;
            }
            case MAP -> {
                ObjectNode node = NODES.objectNode();
                for (Map.Entry<?, ?> entry : ((Map<?, ?>) datum).entrySet()) {
                    node.set(entry.getKey().toString(), toJson(entry.getValue(), schema.getValueType()));
                }
                return node;
            }
            case ENUM, STRING -> {
                return NODES.textNode(datum.toString());
            }
            case BYTES -> {
                ByteBuffer buffer = ((ByteBuffer) datum).duplicate();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
            }
            case FIXED -> {
                return NODES.textNode(Base64.getEncoder().encodeToString(((GenericFixed) datum).bytes()));
            }
            case INT -> {
                return NODES.numberNode(((Number) datum).intValue());
            }
            case LONG -> {
                if (logical != null && logical.getName().equals("timestamp-millis") && datum instanceof Long millis) {
                    return NODES.textNode(Instant.ofEpochMilli(millis).toString());
                }
                if (datum instanceof Instant instant) {
                    return NODES.textNode(instant.toString());
                }
                return NODES.numberNode(((Number) datum).longValue());
            }
            case FLOAT, DOUBLE -> {
                double value = ((Number) datum).doubleValue();
                return Double.isFinite(value) ? NODES.numberNode(value) : NODES.textNode(Double.toString(value));
            }
            case BOOLEAN -> {
                return NODES.booleanNode((Boolean) datum);
            }
            case NULL -> {
                return NODES.nullNode();
            }
            default -> throw new IllegalArgumentException("unsupported Avro type " + schema.getType());
        }
    }
}
