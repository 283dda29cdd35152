package dev.safelora.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * The Confluent Schema Registry compatibility levels, checked with Avro's own
 * {@link SchemaCompatibility}. BACKWARD: the new schema can read data written with the
 * previous one; FORWARD: the previous schema can read data written with the new one; FULL: both.
 * The transitive levels check against every earlier version instead of only the latest.
 */
public enum CompatibilityLevel {
    NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE;

    /** Parses a level as the REST API spells it; unknown names are an IllegalArgumentException naming the allowed ones. */
    public static CompatibilityLevel parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("unknown compatibility level '" + text + "', expected one of "
                    + java.util.Arrays.toString(values()), e);
        }
    }

    public boolean transitive() {
        return this == BACKWARD_TRANSITIVE || this == FORWARD_TRANSITIVE || this == FULL_TRANSITIVE;
    }

    /**
     * What makes {@code candidate} incompatible with the existing versions (oldest first) under
     * this level; empty when it is compatible.
     */
    public List<String> incompatibilities(Schema candidate, List<Schema> existingOldestFirst) {
        if (this == NONE || existingOldestFirst.isEmpty()) {
            return List.of();
        }
        List<Schema> against = transitive()
                ? existingOldestFirst
                : List.of(existingOldestFirst.get(existingOldestFirst.size() - 1));
        List<String> problems = new ArrayList<>();
        for (Schema existing : against) {
            if (this != FORWARD && this != FORWARD_TRANSITIVE) {
                describe("new schema cannot read data written with an earlier schema", candidate, existing, problems);
            }
            if (this != BACKWARD && this != BACKWARD_TRANSITIVE) {
                describe("an earlier schema cannot read data written with the new schema", existing, candidate, problems);
            }
        }
        return problems;
    }

    private static void describe(String direction, Schema reader, Schema writer, List<String> problems) {
        SchemaCompatibility.SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        if (result.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        for (Incompatibility incompatibility : result.getResult().getIncompatibilities()) {
            problems.add(direction + ": " + incompatibility.getType() + " at " + incompatibility.getLocation()
                    + " (" + incompatibility.getMessage() + ")");
        }
    }
}
