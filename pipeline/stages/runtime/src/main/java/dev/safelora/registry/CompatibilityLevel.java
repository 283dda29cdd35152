package dev.safelora.registry;

import java.util.Locale;

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
}
