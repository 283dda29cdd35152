package dev.safelora.serde;

import java.util.Map;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Wraps a deserializer so that undecodable bytes (unknown magic byte, unknown schema id,
 * truncated or corrupt payload) never break {@code KafkaConsumer.poll}: each value arrives as a
 * {@link Decoded} holding either the value or the error plus the raw bytes, for the stage to
 * dead-letter and move on. A registry that cannot be reached still throws (it is not the record's
 * fault: retry, do not dead-letter).
 */
public final class DecodingDeserializer<T> implements Deserializer<Decoded<T>> {

    private final Deserializer<T> inner;

    public DecodingDeserializer(Deserializer<T> inner) {
        this.inner = inner;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        inner.configure(configs, isKey);
    }

    @Override
    public Decoded<T> deserialize(String topic, byte[] data) {
        try {
            return Decoded.ok(inner.deserialize(topic, data), data);
        } catch (SerializationException e) {
            return Decoded.failed(data, e);
        }
    }

    @Override
    public Decoded<T> deserialize(String topic, Headers headers, byte[] data) {
        try {
            return Decoded.ok(inner.deserialize(topic, headers, data), data);
        } catch (SerializationException e) {
            return Decoded.failed(data, e);
        }
    }

    @Override
    public void close() {
        inner.close();
    }
}
