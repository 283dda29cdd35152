package dev.safelora.stage;

import org.apache.kafka.common.header.Headers;

/**
 * A consumed record after decoding: where it came from, its string key (UTF-8, null if absent) and its
 * decoded value.
 */
public record InputRecord<V>(String topic, int partition, long offset, long timestamp, String key, V value, Headers headers) {

    /** {@code topic-partition@offset}, for log lines and error messages. */
    public String position() {
        return topic + "-" + partition + "@" + offset;
    }
}
