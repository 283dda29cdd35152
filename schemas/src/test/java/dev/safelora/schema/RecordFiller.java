package dev.safelora.schema;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;

/**
 * Builds a generic record for any schema with every field filled with a value that differs from
 * its default (so a reader that silently fell back to a default is caught). {@code variant}
 * rotates through the non-null branches of unions, so variants 0..n-1 cover every branch.
 */
final class RecordFiller {

    private final Random random;
    private final int variant;

    RecordFiller(long seed, int variant) {
        this.random = new Random(seed);
        this.variant = variant;
    }

    GenericData.Record record(Schema schema) {
        GenericData.Record record = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            record.put(field.pos(), value(field.schema(), field.name(), field.hasDefaultValue() ? field.defaultVal() : null));
        }
        return record;
    }

    private Object value(Schema schema, String name, Object defaultValue) {
        switch (schema.getType()) {
            case RECORD:
                return record(schema);
            case ENUM: {
                List<String> symbols = schema.getEnumSymbols();
                String avoid = defaultValue != null ? defaultValue.toString() : schema.getEnumDefault();
                List<String> candidates = symbols.stream().filter(s -> !s.equals(avoid)).toList();
                String symbol = candidates.isEmpty() ? symbols.get(0) : candidates.get(random.nextInt(candidates.size()));
                return new GenericData.EnumSymbol(schema, symbol);
            }
            case ARRAY: {
                List<Object> items = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    items.add(value(schema.getElementType(), name + i, null));
                }
                return new GenericData.Array<>(schema, items);
            }
            case MAP: {
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < 2; i++) {
                    map.put(name + "-key" + i, value(schema.getValueType(), name + i, null));
                }
                return map;
            }
            case UNION: {
                List<Schema> branches = schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).toList();
                return value(branches.get(variant % branches.size()), name, null);
            }
            case STRING:
                if (schema.getLogicalType() instanceof LogicalTypes.Uuid) {
                    return new UUID(random.nextLong(), random.nextLong()).toString();
                }
                return name + "-" + Integer.toHexString(random.nextInt());
            case BYTES:
                return ByteBuffer.wrap((name + random.nextInt()).getBytes(StandardCharsets.UTF_8));
            case INT:
                return 1000 + random.nextInt(1000);
            case LONG:
                if (schema.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
                    return 1_700_000_000_000L + random.nextInt(1_000_000_000);
                }
                return 100_000L + random.nextInt(1000);
            case DOUBLE:
                return 1000.0 + random.nextDouble();
            case FLOAT:
                return 1000.0f + random.nextFloat();
            case BOOLEAN:
                return !(defaultValue instanceof Boolean b && b);
            case FIXED: {
                byte[] bytes = new byte[schema.getFixedSize()];
                random.nextBytes(bytes);
                return new GenericData.Fixed(schema, bytes);
            }
            case NULL:
                return null;
            default:
                throw new IllegalArgumentException("unsupported schema type " + schema.getType());
        }
    }

    /** How many variants it takes for every union branch to appear at least once. */
    static int variantsToCoverUnions(Schema schema) {
        return maxBranches(schema, new java.util.HashSet<>());
    }

    private static int maxBranches(Schema schema, java.util.Set<String> seen) {
        switch (schema.getType()) {
            case RECORD:
                if (!seen.add(schema.getFullName())) {
                    return 1;
                }
                return schema.getFields().stream().mapToInt(f -> maxBranches(f.schema(), seen)).max().orElse(1);
            case ARRAY:
                return maxBranches(schema.getElementType(), seen);
            case MAP:
                return maxBranches(schema.getValueType(), seen);
            case UNION: {
                int nonNull = (int) schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).count();
                int inner = schema.getTypes().stream().mapToInt(s -> maxBranches(s, seen)).max().orElse(1);
                return Math.max(nonNull, inner);
            }
            default:
                return 1;
        }
    }
}
