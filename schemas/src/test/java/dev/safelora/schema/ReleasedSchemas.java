package dev.safelora.schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.specific.SpecificData;

/**
 * The released versions of every topic value schema, kept as
 * {@code src/test/resources/released/<RecordName>/v<N>.avsc} (the full schema as registered).
 */
final class ReleasedSchemas {

    /** Every top-level record of a topic value (one per topic, plus DeadLetter for the DLQs). */
    static final List<Class<?>> TOPIC_RECORDS = List.of(
            ModelRegistration.class, AlignmentEvent.class, LayerSelection.class, TrainingRequest.class,
            TrainingJob.class, ProjectionJob.class, TrainingProgress.class, AdapterPublished.class,
            EvaluationCompleted.class, DeadLetter.class);

    static final Path RELEASED_DIR = Path.of("src", "test", "resources", "released");
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
