package dev.safelora.requests;

import dev.safelora.contracts.Topic;
import org.apache.avro.specific.SpecificRecord;

/**
 * A request that passed every check: the Avro value to produce, and its record key per the
 * topic table (family, request id, or the selection's target).
 */
public record ValidatedRequest(RequestKind kind, String key, SpecificRecord value) {

    public Topic topic() {
        return kind.topic();
    }
}
