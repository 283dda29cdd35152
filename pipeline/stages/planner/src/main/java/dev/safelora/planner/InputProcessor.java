package dev.safelora.planner;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Record;

/** A processor reading a pipeline topic as raw bytes and decoding them itself, so bad bytes become dead letters. */
abstract class InputProcessor<T> extends GuardedProcessor<byte[], T> {

    private final Deserializer<T> deserializer;

    InputProcessor(String topic, Deserializer<T> deserializer, PlannerMetrics metrics) {
        super(topic, metrics);
        this.deserializer = deserializer;
    }

    @Override
    protected final T decode(Record<String, byte[]> record) {
        return deserializer.deserialize(originTopic(), record.headers(), record.value());
    }

    @Override
    protected final byte[] originalBytes(Record<String, byte[]> record) {
        return record.value();
    }
}
