package dev.safelora.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Not a test: the release tool. With {@code -Dsafelora.release=true} it writes
 * {@code released/<RecordName>/v<N+1>.avsc} for every topic record whose current schema differs
 * from its latest released version (v1 for a new record). See schemas/README.md.
 */
@EnabledIfSystemProperty(named = "safelora.release", matches = "true")
class ReleaseNewVersions {

    @Test
    void writeReleasedVersions() throws IOException {
        List<String> written = new ArrayList<>();
        for (Class<?> type : ReleasedSchemas.TOPIC_RECORDS) {
            String name = type.getSimpleName();
            Schema current = ReleasedSchemas.current(name);
            assertThat(ReleasedSchemas.withoutJavaHints(current).toString())
                    .as("generated %s is stale against src/main/avro; release after ./mvnw clean", name)
                    .isEqualTo(ReleasedSchemas.sources().get(name).toString());
            ReleasedSchemas.Released latest = ReleasedSchemas.latest(name);
            // Docs and defaults matter to readers too, so the full JSON is compared.
            if (latest != null && latest.schema().toString().equals(current.toString())) {
                continue;
            }
            if (latest != null) {
                assertThat(ReleasedSchemas.backwardIncompatibilities(current, latest.schema()))
                        .as("%s is not BACKWARD compatible with %s; it cannot be released", name, latest)
                        .isEmpty();
            }
            int version = latest == null ? 1 : latest.version() + 1;
            Path file = ReleasedSchemas.RELEASED_DIR.resolve(name).resolve("v" + version + ".avsc");
            Files.createDirectories(file.getParent());
            Files.writeString(file, current.toString(true) + "\n");
            written.add(file.toString());
        }
        System.out.println("released: " + (written.isEmpty() ? "nothing changed" : String.join(", ", written)));
    }

}
