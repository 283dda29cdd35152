package dev.safelora.stage;

import java.util.Objects;

/** A record a stage publishes: topic, string key and value (null value = tombstone). */
public record Output<O>(String topic, String key, O value) {

    public Output {
        Objects.requireNonNull(topic, "topic");
    }

    public static <O> Output<O> of(String topic, String key, O value) {
        return new Output<>(topic, key, value);
    }
}
