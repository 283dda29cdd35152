package dev.safelora.planner;

import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.Record;

/**
 * A processor reading records the planner itself decoded, checked and re-keyed by family; its dead
 * letters (an unexpected failure while handling) carry the record re-encoded for its origin topic.
 */
abstract class RepartitionedProcessor<T> extends GuardedProcessor<T, T> {

    private final Serializer<T> serializer;

    RepartitionedProcessor(String originTopic, Serializer<T> serializer, PlannerMetrics metrics) {
        super(originTopic, metrics);
        this.serializer = serializer;
    }

    @Override
    protected final boolean countsAsInput() {
        return false;
    }

    @Override
    protected final T decode(Record<String, T> record) {
        return record.value();
    }

    @Override
    protected final byte[] originalBytes(Record<String, T> record) {
        return serializer.serialize(originTopic(), record.value());
    }
}
