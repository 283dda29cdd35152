package dev.safelora.serde;

import java.util.Objects;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record value as {@link DecodingDeserializer} hands it over: either the decoded value, or the
 * reason the bytes could not be decoded, always with the raw bytes so a stage can dead-letter
 * them unchanged. A null record value (a tombstone) is {@code ok(null, null)}.
 */
public record Decoded<T>(T value, byte[] raw, SerializationException error) {

    public static <T> Decoded<T> ok(T value, byte[] raw) {
        return new Decoded<>(value, raw, null);
    }

    public static <T> Decoded<T> failed(byte[] raw, SerializationException error) {
        return new Decoded<>(null, raw, Objects.requireNonNull(error, "error"));
    }

    public boolean isOk() {
        return error == null;
    }

    /** The value; a SerializationException (the original one) when the bytes were not decodable. */
    public T orThrow() {
        if (error != null) {
            throw error;
        }
        return value;
    }
}
