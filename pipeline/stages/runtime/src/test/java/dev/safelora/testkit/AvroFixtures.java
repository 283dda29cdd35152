package dev.safelora.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import dev.safelora.schema.SchemaClasses;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Arbitrary but valid instances of any generated Avro class: every field filled (unions take a
 * non-null branch), built generically from the schema and decoded into the class, so no test
 * has to hand-write each record type.
 */
public final class AvroFixtures {

    private AvroFixtures() {
    }

    public static <T extends SpecificRecord> T sample(Class<T> type, long seed) {
        SchemaClasses.trust();
        SpecificData model = SpecificData.getForClass(type);
        Schema schema = model.getSchema(type);
        Object generic = new Filler(new Random(seed)).value(schema);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<>(schema).write(generic, encoder);
            encoder.flush();
            @SuppressWarnings("unchecked")
            T result = (T) model.createDatumReader(schema).read(null,
                    DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Filler(Random random) {
        Object value(Schema schema) {
            String logical = schema.getLogicalType() == null ? null : schema.getLogicalType().getName();
            return switch (schema.getType()) {
                case RECORD -> {
                    GenericData.Record record = new GenericData.Record(schema);
                    schema.getFields().forEach(f -> record.put(f.pos(), value(f.schema())));
                    yield record;
                }
                case ENUM -> new GenericData.EnumSymbol(schema,
                        schema.getEnumSymbols().get(random.nextInt(schema.getEnumSymbols().size())));
                case ARRAY -> {
                    List<Object> items = new ArrayList<>();
                    for (int i = 0; i < 2; i++) {
                        items.add(value(schema.getElementType()));
                    }
                    yield new GenericData.Array<>(schema, items);
                }
                case MAP -> {
                    Map<String, Object> map = new LinkedHashMap<>();
                    map.put("k" + random.nextInt(100), value(schema.getValueType()));
                    yield map;
                }
                case UNION -> {
                    List<Schema> branches = schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).toList();
                    yield branches.isEmpty() ? null : value(branches.get(random.nextInt(branches.size())));
                }
                case FIXED -> {
                    byte[] bytes = new byte[schema.getFixedSize()];
                    random.nextBytes(bytes);
                    yield new GenericData.Fixed(schema, bytes);
                }
                case STRING -> "uuid".equals(logical) ? new UUID(random.nextLong(), random.nextLong()).toString()
                        : "s" + random.nextInt(1_000_000);
                case BYTES -> ByteBuffer.wrap(("b" + random.nextInt()).getBytes(StandardCharsets.UTF_8));
                case INT -> 1 + random.nextInt(1000);
                case LONG -> "timestamp-millis".equals(logical) ? 1_700_000_000_000L + random.nextInt(1_000_000_000)
                        : 1 + (long) random.nextInt(1_000_000);
                case FLOAT -> random.nextFloat();
                case DOUBLE -> random.nextDouble();
                case BOOLEAN -> random.nextBoolean();
                case NULL -> null;
            };
        }
    }
}
