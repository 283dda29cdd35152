package dev.safelora.registry.server;

import java.util.List;
import java.util.Objects;

import org.apache.avro.Schema;

/**
 * One version of a subject as the registry stores it: the parsed schema (its references resolved), the text
 * served back (as registered when it has references, so that clients resolving them themselves can parse it),
 * and its references.
 */
record StoredSchema(String subject, int version, int id, Schema schema, String text, List<Reference> references) {
    StoredSchema {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(text, "text");
        references = List.copyOf(references);
    }

    StoredSchema(String subject, int version, int id, Schema schema) {
        this(subject, version, id, schema, schema.toString(), List.of());
    }
}
