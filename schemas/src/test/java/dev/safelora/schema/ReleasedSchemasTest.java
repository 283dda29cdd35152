package dev.safelora.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every released version of every topic schema stays readable by the current generated classes
 * (BACKWARD compatibility, the registry's rule), checked two ways: Avro's own compatibility
 * checker, and actual records written with the old schema and resolved into the new class.
 */
class ReleasedSchemasTest {

    @BeforeAll
    static void trustGeneratedClasses() {
        SchemaClasses.trust();
    }

    static Stream<ReleasedSchemas.Released> released() {
        return ReleasedSchemas.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("released")
    void currentSchemaIsBackwardCompatibleWithRelease(ReleasedSchemas.Released release) {
        assertBackwardCompatible(ReleasedSchemas.current(release.recordName()), release.schema());
        assertBackwardCompatible(ReleasedSchemas.sources().get(release.recordName()), release.schema());
    }

    @Test
    void generatedClassesMatchTheAvscSources() {
        Map<String, Schema> sources = ReleasedSchemas.sources();
        for (Class<?> type : ReleasedSchemas.TOPIC_RECORDS) {
            Schema generated = ReleasedSchemas.withoutJavaHints(ReleasedSchemas.current(type.getSimpleName()));
            assertThat(generated.toString(true))
                    .as("generated %s is stale against src/main/avro: rebuild with ./mvnw clean", type.getSimpleName())
                    .isEqualTo(sources.get(type.getSimpleName()).toString(true));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("released")
    void recordsWrittenWithReleaseReadIntoTheCurrentClass(ReleasedSchemas.Released release) throws IOException {
        Schema current = ReleasedSchemas.current(release.recordName());
        int variants = RecordFiller.variantsToCoverUnions(release.schema());
        for (int variant = 0; variant < variants; variant++) {
            GenericData.Record written = new RecordFiller(31L * variant + release.version(), variant).record(release.schema());
            assertThat(GenericData.get().validate(release.schema(), written)).isTrue();

            SpecificRecord read = readAsCurrentClass(release.schema(), current, write(release.schema(), written));

            assertThat(read.getClass().getSimpleName()).isEqualTo(release.recordName());
            assertThat(plain(current, asGeneric(current, read)))
                    .as("%s variant %d resolved into the current class", release, variant)
                    .isEqualTo(expected(current, release.schema(), written));
        }
    }

    @Test
    void spotCheckTrainingRequestV1ThroughTheGeneratedGetters() throws IOException {
        Schema v1 = ReleasedSchemas.versionsOf("TrainingRequest").get(0).schema();
        GenericData.Record written = new RecordFiller(7, 0).record(v1);
        GenericRecord lora = (GenericRecord) written.get("lora");
        GenericRecord optimizer = (GenericRecord) written.get("optimizer");

        TrainingRequest read = (TrainingRequest) readAsCurrentClass(v1, TrainingRequest.getClassSchema(), write(v1, written));

        assertThat(read.getRequestId()).isEqualTo(written.get("requestId").toString());
        assertThat(read.getLora().getR()).isEqualTo(lora.get("r")).isNotEqualTo(8);
        assertThat(read.getLora().getRsLora()).isTrue();
        assertThat(read.getOptimizer().getLearningRate()).isEqualTo(optimizer.get("learningRate"));
        assertThat(read.getRequestedAt().toEpochMilli()).isEqualTo(written.get("requestedAt"));
        assertThat(read.getSelection()).isNotNull();
        assertThat(read.getSelection().getMode().name()).isEqualTo(((GenericRecord) written.get("selection")).get("mode").toString());
    }

    @Test
    void everyTopicRecordHasContiguousReleasedVersions() {
        for (Class<?> type : ReleasedSchemas.TOPIC_RECORDS) {
            List<ReleasedSchemas.Released> versions = ReleasedSchemas.versionsOf(type.getSimpleName());
            assertThat(versions).as("released versions of %s (run the release step of schemas/README.md)", type.getSimpleName())
                    .isNotEmpty();
            assertThat(versions.stream().map(ReleasedSchemas.Released::version))
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, versions.size()).boxed().toList());
        }
    }

    @Test
    void everyReleasedDirectoryBelongsToATopicRecord() throws IOException {
        List<String> topicRecords = ReleasedSchemas.TOPIC_RECORDS.stream().map(Class::getSimpleName).toList();
        try (Stream<Path> dirs = Files.list(ReleasedSchemas.RELEASED_DIR)) {
            assertThat(dirs.map(d -> d.getFileName().toString())).allMatch(topicRecords::contains);
        }
    }

    @Test
    void everyTopicSchemaDocumentsEveryRecordAndField() {
        for (Class<?> type : ReleasedSchemas.TOPIC_RECORDS) {
            assertDocumented(ReleasedSchemas.current(type.getSimpleName()), new java.util.HashSet<>());
        }
    }

    @Test
    void anIncompatibleChangeIsRejectedNamingTheFields() throws IOException {
        Schema v1 = ReleasedSchemas.versionsOf("TrainingRequest").get(0).schema();
        Schema incompatible = ReleasedSchemas.parseResource("/evolution/TrainingRequest-incompatible.avsc");

        assertThat(ReleasedSchemas.backwardIncompatibilities(incompatible, v1))
                .anySatisfy(line -> assertThat(line).contains("READER_FIELD_MISSING_DEFAULT").contains("priority"))
                .anySatisfy(line -> assertThat(line).contains("TYPE_MISMATCH").contains("/fields/5/type/fields/0/type"));
        assertThatThrownBy(() -> assertBackwardCompatible(incompatible, v1))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("priority");
        byte[] v1Data = write(v1, new RecordFiller(1, 0).record(v1));
        assertThatThrownBy(() -> new GenericDatumReader<GenericRecord>(v1, incompatible)
                        .read(null, DecoderFactory.get().binaryDecoder(v1Data, null)))
                .isInstanceOf(AvroTypeException.class);
    }

    @Test
    void addingFieldsWithDefaultsIsCompatibleAndOldDataReadsTheDefaults() throws IOException {
        Schema v1 = ReleasedSchemas.versionsOf("TrainingRequest").get(0).schema();
        Schema evolved = ReleasedSchemas.parseResource("/evolution/TrainingRequest-evolved.avsc");
        assertBackwardCompatible(evolved, v1);

        GenericData.Record written = new RecordFiller(3, 0).record(v1);
        GenericRecord read = new GenericDatumReader<GenericRecord>(v1, evolved)
                .read(null, DecoderFactory.get().binaryDecoder(write(v1, written), null));

        assertThat(read.get("priority")).isEqualTo(5);
        assertThat(read.get("ticket")).isNull();
        assertThat(((GenericRecord) read.get("optimizer")).get("maxGradNorm")).isEqualTo(1.0);
        assertThat(read.get("family").toString()).isEqualTo(written.get("family").toString());
    }

    static void assertBackwardCompatible(Schema reader, Schema writer) {
        assertThat(ReleasedSchemas.backwardIncompatibilities(reader, writer))
                .as("current %s must read data written with the released version (BACKWARD)", reader.getFullName())
                .isEmpty();
    }

    private static void assertDocumented(Schema schema, java.util.Set<String> seen) {
        switch (schema.getType()) {
            case RECORD -> {
                if (!seen.add(schema.getFullName())) {
                    return;
                }
                assertThat(schema.getDoc()).as("doc of record %s", schema.getFullName()).isNotBlank();
                for (Schema.Field f : schema.getFields()) {
                    assertThat(f.doc()).as("doc of %s.%s", schema.getFullName(), f.name()).isNotBlank();
                    assertDocumented(f.schema(), seen);
                }
            }
            case ENUM -> assertThat(schema.getDoc()).as("doc of enum %s", schema.getFullName()).isNotBlank();
            case ARRAY -> assertDocumented(schema.getElementType(), seen);
            case MAP -> assertDocumented(schema.getValueType(), seen);
            case UNION -> schema.getTypes().forEach(t -> assertDocumented(t, seen));
            default -> { }
        }
    }

    private static byte[] write(Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Encoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static SpecificRecord readAsCurrentClass(Schema writer, Schema reader, byte[] data) throws IOException {
        return new SpecificDatumReader<SpecificRecord>(writer, reader).read(null, DecoderFactory.get().binaryDecoder(data, null));
    }

    /** The specific record re-encoded and decoded without logical-type conversions, for comparison. */
    private static GenericRecord asGeneric(Schema schema, SpecificRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Encoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<SpecificRecord>(schema).write(record, encoder);
        encoder.flush();
        return new GenericDatumReader<GenericRecord>(schema).read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    }

    /**
     * What a reader with schema {@code reader} must see for {@code written} (written with
     * {@code writer}), computed independently of Avro's resolver: fields the writer had keep their
     * values, fields it lacked take the reader's defaults.
     */
    private static Object expected(Schema reader, Schema writer, Object written) {
        switch (reader.getType()) {
            case RECORD: {
                GenericRecord record = (GenericRecord) written;
                Map<String, Object> result = new LinkedHashMap<>();
                for (Schema.Field field : reader.getFields()) {
                    Schema.Field writerField = writerField(writer, field);
                    result.put(field.name(), writerField == null
                            ? plain(field.schema(), GenericData.get().getDefaultValue(field))
                            : expected(field.schema(), writerField.schema(), record.get(writerField.pos())));
                }
                return result;
            }
            case UNION: {
                Schema writerBranch = writer.getType() == Schema.Type.UNION
                        ? writer.getTypes().get(GenericData.get().resolveUnion(writer, written))
                        : writer;
                Schema readerBranch = reader.getTypes().stream()
                        .filter(b -> b.getType() == writerBranch.getType()
                                && (!isNamed(b) || b.getFullName().equals(writerBranch.getFullName())))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no reader branch for " + writerBranch));
                return expected(readerBranch, writerBranch, written);
            }
            case ARRAY: {
                List<Object> result = new ArrayList<>();
                for (Object item : (List<?>) written) {
                    result.add(expected(reader.getElementType(), writer.getElementType(), item));
                }
                return result;
            }
            case MAP: {
                Map<String, Object> result = new TreeMap<>();
                ((Map<?, ?>) written).forEach((k, v) -> result.put(k.toString(), expected(reader.getValueType(), writer.getValueType(), v)));
                return result;
            }
            default:
                return plain(writer, written);
        }
    }

    private static Schema.Field writerField(Schema writer, Schema.Field readerField) {
        Schema.Field byName = writer.getField(readerField.name());
        if (byName != null) {
            return byName;
        }
        return readerField.aliases().stream().map(writer::getField).filter(f -> f != null).findFirst().orElse(null);
    }

    private static boolean isNamed(Schema s) {
        return s.getType() == Schema.Type.RECORD || s.getType() == Schema.Type.ENUM || s.getType() == Schema.Type.FIXED;
    }

    /** A datum as plain Java values (maps, lists, strings, numbers), so equality is structural. */
    private static Object plain(Schema schema, Object datum) {
        if (datum == null) {
            return null;
        }
        switch (schema.getType()) {
            case RECORD: {
                GenericRecord record = (GenericRecord) datum;
                Map<String, Object> result = new LinkedHashMap<>();
                for (Schema.Field field : schema.getFields()) {
                    result.put(field.name(), plain(field.schema(), record.get(field.pos())));
                }
                return result;
            }
            case UNION:
                return plain(schema.getTypes().get(GenericData.get().resolveUnion(schema, datum)), datum);
            case ARRAY: {
                List<Object> result = new ArrayList<>();
                for (Object item : (List<?>) datum) {
                    result.add(plain(schema.getElementType(), item));
                }
                return result;
            }
            case MAP: {
                Map<String, Object> result = new TreeMap<>();
                ((Map<?, ?>) datum).forEach((k, v) -> result.put(k.toString(), plain(schema.getValueType(), v)));
                return result;
            }
            case STRING:
            case ENUM:
                return datum.toString();
            case BYTES: {
                ByteBuffer buffer = ((ByteBuffer) datum).duplicate();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return java.util.HexFormat.of().formatHex(bytes);
            }
            default:
                return datum;
        }
    }
}
