package dev.safelora.cli;

import dev.safelora.requests.ValidatedRequest;

/** Produces a validated request to its topic. */
final class RequestProducer {

    record Delivery(String topic, int partition, long offset) {}

    private RequestProducer() {}

    static Delivery produce(ValidatedRequest request, KafkaClientOptions.ClientSettings settings) {
        throw new IllegalStateException("producing needs the registry's Avro serializer (dev.safelora.serde), not merged yet; use --dry-run");
    }
}
