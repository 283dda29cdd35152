package dev.safelora.audit.ledger;

import java.util.List;

/**
 * One consumed record as the ledger stores it, before it is chained: where it came from, what it is, the
 * value decoded with its writer schema as JSON ({@code eventJson}, null when undecodable), and its typed rows.
 */
public record LedgerEvent(
        String topic,
        int partition,
        long offset,
        EventKind kind,
        String eventId,
        String recordKey,
        long recordTimestamp,
        Integer schemaId,
        String payloadSha256,
        String headersJson,
        String eventJson,
        long consumedAt,
        List<Row> facts) {

    public LedgerEvent {
        facts = List.copyOf(facts);
    }

    public String eventKey() {
        return key(topic, partition, offset);
    }

    public static String key(String topic, int partition, long offset) {
        return topic + "/" + partition + "/" + offset;
    }
}
