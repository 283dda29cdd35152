package dev.safelora.schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.specific.SpecificData;

/**
 * The released versions of every topic value schema, kept as
 * {@code src/test/resources/released/<RecordName>/v<N>.avsc} (the full schema as registered).
 */
final class ReleasedSchemas {

    /**
     * Every top-level record of a topic value, one per topic. Dead-letter topics have no value schema of their
     * own: their values are the source records' bytes (the retired {@code DeadLetter} schema is in
     * {@code src/test/resources/retired/}).
     */
    static final List<Class<?>> TOPIC_RECORDS = List.of(
            ModelRegistration.class, AlignmentEvent.class, LayerSelection.class, TrainingRequest.class,
            TrainingJob.class, ProjectionJob.class, TrainingProgress.class, AdapterPublished.class,
            EvaluationCompleted.class, AuditAnchor.class);

    static final Path RELEASED_DIR = Path.of("src", "test", "resources", "released");
    static final Path SOURCE_DIR = Path.of("src", "main", "avro");
    private static final Pattern VERSION_FILE = Pattern.compile("v(\\d+)\\.avsc");

    record Released(String recordName, int version, Schema schema) {
        @Override
        public String toString() {
            return recordName + " v" + version;
        }
    }

    private ReleasedSchemas() {}

    static Schema current(String recordName) {
        try {
            return SpecificData.get().getSchema(Class.forName("dev.safelora.schema." + recordName));
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("released schema " + recordName + " has no generated class", e);
        }
    }

    /** Every released version of every record, oldest first, read from the test class path. */
    static List<Released> all() {
        List<Released> result = new ArrayList<>();
        for (Class<?> type : TOPIC_RECORDS) {
            result.addAll(versionsOf(type.getSimpleName()));
        }
        return result;
    }

    static List<Released> versionsOf(String recordName) {
        Path dir = RELEASED_DIR.resolve(recordName);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> VERSION_FILE.matcher(f.getFileName().toString()))
                    .filter(Matcher::matches)
                    .map(m -> Integer.parseInt(m.group(1)))
                    .sorted()
                    .map(v -> new Released(recordName, v, parse(dir.resolve("v" + v + ".avsc"))))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The topic records as written in {@code src/main/avro} (shared types in {@code common/}
     * first), independent of the generated classes, which an incremental build may leave stale.
     */
    static Map<String, Schema> sources() {
        Map<String, Schema> known = new LinkedHashMap<>();
        List<Path> pending = new ArrayList<>(avscFiles(SOURCE_DIR.resolve("common")));
        pending.addAll(avscFiles(SOURCE_DIR));
        // A file may name a type defined in a later one (TrainingJob uses TrainingRequest): retry until settled.
        while (!pending.isEmpty()) {
            List<Path> failed = new ArrayList<>();
            AvroRuntimeException last = null;
            for (Path file : pending) {
                try {
                    Schema schema = new Schema.Parser().addTypes(known.values()).parse(file.toFile());
                    known.put(schema.getFullName(), schema);
                } catch (AvroRuntimeException e) { // SchemaParseException or "Undefined schema"
                    failed.add(file);
                    last = e;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            if (failed.size() == pending.size()) {
                throw new IllegalStateException("cannot parse " + failed + ": " + last.getMessage(), last);
            }
            pending = failed;
        }
        Map<String, Schema> bySimpleName = new LinkedHashMap<>();
        known.values().forEach(schema -> bySimpleName.put(schema.getName(), schema));
        return bySimpleName;
    }

    private static List<Path> avscFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".avsc")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The generated class's schema without the Java-only string-type hints, comparable with a source schema. */
    static Schema withoutJavaHints(Schema generated) {
        return new Schema.Parser().parse(generated.toString().replaceAll(",\\s*\"avro\\.java\\.string\"\\s*:\\s*\"String\"", ""));
    }

    static Released latest(String recordName) {
        return versionsOf(recordName).stream().max(Comparator.comparingInt(Released::version)).orElse(null);
    }

    static Schema parse(Path file) {
        try {
            return new Schema.Parser().parse(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Schema parseResource(String resource) {
        try (InputStream in = ReleasedSchemas.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource);
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Why data written with {@code writer} cannot be read with {@code reader} (BACKWARD
     * compatibility: the new schema reads the old data), one line per problem; empty if it can.
     */
    static List<String> backwardIncompatibilities(Schema reader, Schema writer) {
        SchemaCompatibility.SchemaPairCompatibility result =
                SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        return result.getResult().getIncompatibilities().stream()
                .map(i -> i.getType() + " at " + i.getLocation() + ": " + i.getMessage())
                .toList();
    }
}
