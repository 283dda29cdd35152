package dev.safelora.registry.server;

import java.util.Objects;

import org.apache.avro.Schema;

/** One version of a subject as the registry stores it. */
record StoredSchema(String subject, int version, int id, Schema schema) {
    StoredSchema {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
    }
}
