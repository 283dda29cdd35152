package dev.safelora.serde;

import dev.safelora.registry.RegistryUnreachableException;
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
        } catch (RegistryUnreachableException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            return Decoded.failed(data, undecodable(topic, e));
        }
    }

    @Override
    public Decoded<T> deserialize(String topic, Headers headers, byte[] data) {
        try {
            return Decoded.ok(inner.deserialize(topic, headers, data), data);
        } catch (SerializationException e) {
            return Decoded.failed(data, e);
        } catch (RegistryUnreachableException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            return Decoded.failed(data, undecodable(topic, e));
        }
    }

    @Override
    public void close() {
        inner.close();
    }

    /**
     * Hostile bytes can make a decoder fail in ways it does not declare: a class cast in a specific reader, a
     * recursion too deep for the stack, an allocation for a length the payload claims. They are the record's fault,
     * so they end in the dead-letter topic like any undecodable record, instead of escaping poll and the loop.
     */
    private static SerializationException undecodable(String topic, Throwable e) {
        return new SerializationException("cannot decode a record on topic " + topic + ": "
                + (e instanceof Error ? e.getClass().getSimpleName() + " while decoding (hostile or corrupt payload)"
                : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())), e);
    }
}
