package dev.safelora.stage;

import dev.safelora.contracts.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Dead-letter records, Kafka Connect's convention: a record a stage gives up on is copied to
 * {@code <source topic>.dlq} with its ORIGINAL key, value and headers byte for byte (inspectable with any
 * tool, replayable by copying it back; the value is still in the source topic's schema, or whatever bytes
 * came in), plus the headers of {@link #CONTRACT} that say why. There is no dead-letter value schema: the
 * header set is the contract, and {@link #CONTRACT} is its single source (schemas/README.md's table is
 * rendered from it by {@link #contractTable()}, and a test keeps the two equal).
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

    /** How a contract header's value is encoded; every value is UTF-8 text. */
    public enum Encoding {
        TEXT("UTF-8 string", v -> !v.isEmpty()),
        INT("UTF-8 decimal integer (int32)", v -> parses(() -> Integer.parseInt(v))),
        LONG("UTF-8 decimal integer (int64)", v -> parses(() -> Long.parseLong(v))),
        EPOCH_MILLIS("UTF-8 decimal integer, milliseconds since the epoch (the source record's timestamp)",
                v -> parses(() -> Long.parseLong(v))),
        ISO_INSTANT("UTF-8 ISO-8601 instant in UTC, e.g. `2026-01-02T03:04:05.678Z`", v -> parses(() -> Instant.parse(v))),
        CAUSE_SYMBOL("UTF-8 symbol, one of " + Arrays.stream(BadInputException.Cause.values())
                .map(c -> "`" + c.name() + "`").collect(Collectors.joining(", ")),
                v -> parses(() -> BadInputException.Cause.valueOf(v)));

        private final String description;
        private final Predicate<String> check;

        Encoding(String description, Predicate<String> check) {
            this.description = description;
            this.check = check;
        }

        public String description() {
            return description;
        }

        /** Whether {@code value} is a valid value in this encoding. */
        public boolean accepts(String value) {
            return value != null && check.test(value);
        }

        private static boolean parses(Runnable parse) {
            try {
                parse.run();
                return true;
            } catch (IllegalArgumentException | DateTimeParseException e) {
                return false;
            }
        }
    }

    /** One header of the contract. */
    public record ContractHeader(String name, Encoding encoding, String meaning) {}

    /** Every header a dead letter carries, in the order written; always all of them. */
    public static final List<ContractHeader> CONTRACT = List.of(
            new ContractHeader(ERROR_CLASS, Encoding.TEXT, "Java class name of the exception that ended processing"),
            new ContractHeader(ERROR_MESSAGE, Encoding.TEXT, "one line naming what was wrong (never the record's content)"),
            new ContractHeader(CAUSE, Encoding.CAUSE_SYMBOL, "category of the failure; unknown future symbols mean `OTHER`"),
            new ContractHeader(SOURCE_TOPIC, Encoding.TEXT, "topic the record was consumed from (the `.dlq` topic's name without the suffix)"),
            new ContractHeader(SOURCE_PARTITION, Encoding.INT, "partition of the record in the source topic"),
            new ContractHeader(SOURCE_OFFSET, Encoding.LONG, "offset of the record in its source partition"),
            new ContractHeader(SOURCE_TIMESTAMP, Encoding.EPOCH_MILLIS, "timestamp of the source record"),
            new ContractHeader(STAGE, Encoding.TEXT, "the stage that gave up: `alignment`, `planner`, `trainer`, `projector`, ..."),
            new ContractHeader(ATTEMPTS, Encoding.INT, "how many times the stage tried the record (1 for bad input)"),
            new ContractHeader(FAILED_AT, Encoding.ISO_INSTANT, "when the stage gave up"));

    /** Why a record was given up on: the values of the contract headers. */
    public record Reason(Throwable failure, BadInputException.Cause cause, String sourceTopic, int sourcePartition,
                         long sourceOffset, long sourceTimestamp, String stage, int attempts, Instant failedAt) {}

    private DeadLetters() {}

    /** {@code <topic>.dlq}. */
    public static String topicFor(String sourceTopic) {
        return sourceTopic + Topic.DLQ_SUFFIX;
    }

    public static ProducerRecord<byte[], byte[]> of(ConsumerRecord<byte[], byte[]> source, Throwable failure,
                                                   BadInputException.Cause cause, String stage, int attempts, Instant now) {
        Headers headers = headers(source.headers(), new Reason(failure, cause, source.topic(), source.partition(),
                source.offset(), source.timestamp(), stage, attempts, now));
        return new ProducerRecord<>(topicFor(source.topic()), null, source.key(), source.value(), headers);
    }

    /**
     * The headers of a dead letter: the original ones (minus any earlier {@code safelora.dlq.*}, so a replayed
     * record that fails again says why this time) and every contract header, in {@link #CONTRACT} order.
     */
    public static Headers headers(Iterable<Header> original, Reason reason) {
        return headers(original, reason, name -> false);
    }

    /** As {@link #headers(Iterable, Reason)}, also dropping the original headers whose names {@code drop} accepts. */
    public static Headers headers(Iterable<Header> original, Reason reason, Predicate<String> drop) {
        Headers headers = new RecordHeaders();
        for (Header h : original) {
            if (!h.key().startsWith(PREFIX) && !drop.test(h.key())) {
                headers.add(h.key(), h.value());
            }
        }
        put(headers, ERROR_CLASS, reason.failure().getClass().getName());
        put(headers, ERROR_MESSAGE, Failures.describe(reason.failure()));
        put(headers, CAUSE, reason.cause().name());
        put(headers, SOURCE_TOPIC, reason.sourceTopic());
        put(headers, SOURCE_PARTITION, Integer.toString(reason.sourcePartition()));
        put(headers, SOURCE_OFFSET, Long.toString(reason.sourceOffset()));
        put(headers, SOURCE_TIMESTAMP, Long.toString(reason.sourceTimestamp()));
        put(headers, STAGE, reason.stage());
        put(headers, ATTEMPTS, Integer.toString(reason.attempts()));
        put(headers, FAILED_AT, reason.failedAt().toString());
        return headers;
    }

    /** The value of a dead-letter header as text, or null when absent. */
    public static String header(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /**
     * How {@code headers} depart from the contract: each contract header missing, repeated, or not in its
     * encoding, one line each (empty when the dead letter honours it).
     */
    public static List<String> violations(Headers headers) {
        List<String> problems = new java.util.ArrayList<>();
        for (ContractHeader h : CONTRACT) {
            Header[] found = headers.toArray();
            long count = Arrays.stream(found).filter(f -> f.key().equals(h.name())).count();
            String value = header(headers, h.name());
            if (count == 0) {
                problems.add(h.name() + " is missing");
            } else if (count > 1) {
                problems.add(h.name() + " appears " + count + " times");
            } else if (!h.encoding().accepts(value)) {
                problems.add(h.name() + " is not a " + h.encoding().description() + ": '" + value + "'");
            }
        }
        return problems;
    }

    /** {@link #CONTRACT} as the Markdown table that schemas/README.md carries. */
    public static String contractTable() {
        StringBuilder table = new StringBuilder("| header | encoding | meaning |\n| --- | --- | --- |\n");
        for (ContractHeader h : CONTRACT) {
            table.append("| `").append(h.name()).append("` | ").append(h.encoding().description()).append(" | ")
                    .append(h.meaning()).append(" |\n");
        }
        return table.toString();
    }

    private static void put(Headers headers, String key, String value) {
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
