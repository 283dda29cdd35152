package dev.safelora.registry.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * A subject's compatibility rule as Confluent's registry defines it, with the Avro checks that enforce
 * it. The client side has its own {@code Compatibility} (names only): the server is an
 * independent implementation of the REST API, so it shares no types with the client it is tested against.
 */
public enum Compatibility {
    NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE;

    /** Parses a level as the REST API spells it; unknown names are an IllegalArgumentException naming the allowed ones. */
    public static Compatibility parse(String text) {
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
        return incompatibilitiesWithEach(candidate, against);
    }

    /** What makes {@code candidate} incompatible with each of {@code against} under this level's direction. */
    public List<String> incompatibilitiesWithEach(Schema candidate, List<Schema> against) {
        if (this == NONE) {
            return List.of();
        }
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
