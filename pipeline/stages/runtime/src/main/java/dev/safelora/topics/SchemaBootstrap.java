package dev.safelora.topics;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.RegistryException;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.serde.WireFormat;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Registers every pipeline topic's current value schema under {@code <topic>-value} (TopicNameStrategy), so
 * that a producer in any language finds the subject before the first Java producer has run. Idempotent: a
 * subject already holding the schema is left alone. A subject whose versions the current schema is not
 * compatible with (under the subject's level) is reported, never overwritten. Dead-letter topics have no
 * subject: their values are the source records' bytes.
 */
public final class SchemaBootstrap {

    /** What a run did, by subject; {@code incompatible} lines name the subject and the registry's reasons. */
    public record Result(List<String> registered, List<String> alreadyRegistered, List<String> incompatible) {
        public Result {
            registered = List.copyOf(registered);
            alreadyRegistered = List.copyOf(alreadyRegistered);
            incompatible = List.copyOf(incompatible);
        }
    }

    private SchemaBootstrap() {
    }

    /** The subject of a topic's values. */
    public static String subject(Topic topic) {
        return WireFormat.subject(topic.topicName(), false);
    }

    public static Result run(SchemaRegistryClient registry) {
        List<String> registered = new ArrayList<>();
        List<String> present = new ArrayList<>();
        List<String> incompatible = new ArrayList<>();
        for (Topic topic : Topic.values()) {
            String subject = subject(topic);
            Schema schema = topic.valueSchema();
            if (holds(registry, subject, schema)) {
                present.add(subject);
                continue;
            }
            List<String> reasons = registry.incompatibilities(subject, schema);
            if (!reasons.isEmpty()) {
                incompatible.add(subject + ": " + String.join("; ", reasons));
                continue;
            }
            registry.register(subject, schema);
            registered.add(subject);
        }
        return new Result(registered, present, incompatible);
    }

    private static boolean holds(SchemaRegistryClient registry, String subject, Schema schema) {
        try {
            registry.lookup(subject, schema);
            return true;
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                return false;
            }
            throw e;
        }
    }
}
