package dev.safelora.stage;

import dev.safelora.contracts.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Dead-letter records: a record a stage gives up on is copied to {@code <source topic>.dlq} with its
 * ORIGINAL key and value bytes and original headers (so an operator can inspect it with any tool and
 * replay it by copying it back), plus these headers, UTF-8 strings:
 * {@value #ERROR_CLASS}, {@value #ERROR_MESSAGE}, {@value #CAUSE} (a {@code DeadLetterCause} symbol),
 * {@value #SOURCE_TOPIC}, {@value #SOURCE_PARTITION}, {@value #SOURCE_OFFSET}, {@value #SOURCE_TIMESTAMP}
 * (epoch millis), {@value #STAGE}, {@value #ATTEMPTS}, {@value #FAILED_AT} (ISO-8601).
 */
public final class DeadLetters {

    public static final String PREFIX = "safelora.dlq.";
    public static final String ERROR_CLASS = PREFIX + "error.class";
    public static final String ERROR_MESSAGE = PREFIX + "error.message";
    public static final String CAUSE = PREFIX + "cause";
    public static final String SOURCE_TOPIC = PREFIX + "source.topic";
    public static final String SOURCE_PARTITION = PREFIX + "source.partition";
    public static final String SOURCE_OFFSET = PREFIX + "source.offset";
    public static final String SOURCE_TIMESTAMP = PREFIX + "source.timestamp";
    public static final String STAGE = PREFIX + "stage";
    public static final String ATTEMPTS = PREFIX + "attempts";
    public static final String FAILED_AT = PREFIX + "failed.at";

    private DeadLetters() {}

    /** {@code <topic>.dlq}. */
    public static String topicFor(String sourceTopic) {
        return sourceTopic + Topic.DLQ_SUFFIX;
    }

    public static ProducerRecord<byte[], byte[]> of(ConsumerRecord<byte[], byte[]> source, Throwable failure,
                                                   BadInputException.Cause cause, String stage, int attempts, Instant now) {
        Headers headers = new RecordHeaders();
        for (Header h : source.headers()) {
            if (!h.key().startsWith(PREFIX)) {
                headers.add(h.key(), h.value());
            }
        }
        put(headers, ERROR_CLASS, failure.getClass().getName());
        put(headers, ERROR_MESSAGE, Failures.describe(failure));
        put(headers, CAUSE, cause.name());
        put(headers, SOURCE_TOPIC, source.topic());
        put(headers, SOURCE_PARTITION, Integer.toString(source.partition()));
        put(headers, SOURCE_OFFSET, Long.toString(source.offset()));
        put(headers, SOURCE_TIMESTAMP, Long.toString(source.timestamp()));
        put(headers, STAGE, stage);
        put(headers, ATTEMPTS, Integer.toString(attempts));
        put(headers, FAILED_AT, now.toString());
        return new ProducerRecord<>(topicFor(source.topic()), null, source.key(), source.value(), headers);
    }

    /** The value of a dead-letter header as text, or null when absent. */
    public static String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static void put(Headers headers, String key, String value) {
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
