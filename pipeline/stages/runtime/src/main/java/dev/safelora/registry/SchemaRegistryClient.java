package dev.safelora.registry;

import java.util.List;

import org.apache.avro.Schema;

/**
 * The subset of the Confluent Schema Registry REST API the pipeline uses. Implementations
 * cache what cannot change (ids, schemas by id) and are safe to share between threads.
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /** Base URL of the registry, for messages. */
    String url();

    /** Registers {@code schema} under {@code subject} (or finds it already there) and returns its global id. */
    int register(String subject, Schema schema);

    /** The schema with this global id; 404/40403 as a {@link RegistryException} when there is none. */
    Schema schemaById(int id);

    /** The version of {@code subject} that holds exactly {@code schema}; 40401/40403 when none does. */
    RegisteredSchema lookup(String subject, Schema schema);

    RegisteredSchema latest(String subject);

    RegisteredSchema version(String subject, int version);

    List<String> subjects();

    List<Integer> versions(String subject);

    /** Whether {@code schema} could be registered under {@code subject} now (checked against the latest version under the subject's level). */
    boolean isCompatible(String subject, Schema schema);

    /** Like {@link #isCompatible} but with the registry's reasons; empty when compatible. */
    List<String> incompatibilities(String subject, Schema schema);

    CompatibilityLevel globalCompatibility();

    void setGlobalCompatibility(CompatibilityLevel level);

    /** The subject's level, or the global one when the subject has none of its own. */
    CompatibilityLevel compatibility(String subject);

    void setCompatibility(String subject, CompatibilityLevel level);

    @Override
    void close();
}
