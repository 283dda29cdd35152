package dev.safelora.planner;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.safelora.stage.BadInputException;
import dev.safelora.stage.DeadLetters;
import dev.safelora.stage.Failures;

/**
 * Decodes, checks and handles one input record; any failure that is the record's fault (undecodable
 * bytes, unknown schema id, a failed check, an unexpected error while handling it) sends the ORIGINAL
 * bytes to {@code <origin topic>.dlq} with the {@code safelora.dlq.*} headers of {@link DeadLetters}, and
 * the stream moves on. Transient failures (registry or broker unavailable) are rethrown: the stream
 * thread is replaced and, under exactly-once, the record is processed again from the last commit.
 *
 * @param <V> the value as it arrives (bytes from an input topic, or a decoded record from a repartition topic)
 * @param <T> the decoded record
 */
abstract class GuardedProcessor<V, T> implements Processor<String, V, String, Emit> {

    /** Headers carrying where a repartitioned record originally came from (for its dead letter). */
    static final String ORIGIN_TOPIC = "safelora.planner.origin.topic";
    static final String ORIGIN_PARTITION = "safelora.planner.origin.partition";
    static final String ORIGIN_OFFSET = "safelora.planner.origin.offset";
    static final String ORIGIN_KEY = "safelora.planner.origin.key";

    static final String STAGE = "planner";
    private static final Failures FAILURES = Failures.standard();
    private static final Logger LOG = LoggerFactory.getLogger(GuardedProcessor.class);

    private final String originTopic;
    protected final PlannerMetrics metrics;
    protected ProcessorContext<String, Emit> context;

    /** @param originTopic the pipeline topic these records come from (their dead letters go to its {@code .dlq}) */
    GuardedProcessor(String originTopic, PlannerMetrics metrics) {
        this.originTopic = originTopic;
        this.metrics = metrics;
    }

    @Override
    public final void init(ProcessorContext<String, Emit> context) {
        this.context = context;
        open(context);
    }

    /** Looks up the state stores. */
    protected abstract void open(ProcessorContext<String, Emit> context);

    protected abstract T decode(Record<String, V> record);

    protected abstract void handle(Record<String, V> record, T value);

    /** A null value; nothing by default. */
    protected void tombstone(Record<String, V> record) {
    }

    /** Whether records here are counted as planner input (not for records the planner re-keyed itself). */
    protected boolean countsAsInput() {
        return true;
    }

    /** The bytes to put in a dead letter. */
    protected abstract byte[] originalBytes(Record<String, V> record);

    @Override
    public final void process(Record<String, V> record) {
        if (countsAsInput()) {
            metrics.record(originTopic);
        }
        if (record.value() == null) {
            tombstone(record);
            return;
        }
        long start = System.nanoTime();
        boolean decoding = true;
        try {
            T value = decode(record);
            decoding = false;
            handle(record, value);
            metrics.processed(originTopic, false, System.nanoTime() - start);
        } catch (RuntimeException e) {
            if (FAILURES.classify(e, decoding) == Failures.Verdict.TRANSIENT) {
                throw e;
            }
            deadLetter(record, e, Failures.category(e, decoding));
            metrics.processed(originTopic, true, System.nanoTime() - start);
        }
    }

    protected final void forward(String key, Emit value, long timestamp) {
        context.forward(new Record<>(key, value, timestamp, new RecordHeaders()));
    }

    /** The pipeline topic these records come from. */
    protected final String originTopic() {
        return originTopic;
    }

    /** Forwards a checked input re-keyed by family, with where it came from (for a later dead letter). */
    protected final void forwardRekeyed(Record<String, V> record, String family, SpecificRecord value) {
        context.forward(new Record<String, Emit>(family, new Emit.Rekeyed(value), record.timestamp(), withOrigin(record)));
    }

    /** The input's headers plus where it came from, for a record re-keyed onto a repartition topic. */
    private Headers withOrigin(Record<String, V> record) {
        Headers headers = new RecordHeaders(record.headers().toArray());
        Optional<RecordMetadata> meta = context.recordMetadata();
        headers.remove(ORIGIN_TOPIC).remove(ORIGIN_PARTITION).remove(ORIGIN_OFFSET).remove(ORIGIN_KEY);
        put(headers, ORIGIN_TOPIC, originTopic);
        put(headers, ORIGIN_PARTITION, meta.map(m -> Integer.toString(m.partition())).orElse("-1"));
        put(headers, ORIGIN_OFFSET, meta.map(m -> Long.toString(m.offset())).orElse("-1"));
        if (record.key() != null) {
            put(headers, ORIGIN_KEY, record.key());
        }
        return headers;
    }

    private void deadLetter(Record<String, V> record, RuntimeException failure, BadInputException.Cause cause) {
        Optional<RecordMetadata> meta = context.recordMetadata();
        String partition = origin(record, ORIGIN_PARTITION).orElse(meta.map(m -> Integer.toString(m.partition())).orElse("-1"));
        String offset = origin(record, ORIGIN_OFFSET).orElse(meta.map(m -> Long.toString(m.offset())).orElse("-1"));
        String message = Failures.describe(failure);
        Headers headers = DeadLetters.headers(record.headers(), new DeadLetters.Reason(failure, cause, originTopic,
                Integer.parseInt(partition), Long.parseLong(offset), record.timestamp(), STAGE, 1, Instant.now()),
                name -> name.startsWith("safelora.planner.origin."));
        LOG.warn("planner: {} record key={} partition={} offset={} to {}: {}", originTopic,
                origin(record, ORIGIN_KEY).orElse(record.key()), partition, offset,
                DeadLetters.topicFor(originTopic), message);
        metrics.deadLetter(originTopic, cause.name());
        String key = origin(record, ORIGIN_KEY).orElse(record.key());
        context.forward(new Record<String, Emit>(key, new Emit.DeadLetter(originalBytes(record)), record.timestamp(), headers));
    }

    private static Optional<String> origin(Record<?, ?> record, String header) {
        Header h = record.headers().lastHeader(header);
        return h == null ? Optional.empty() : Optional.of(new String(h.value(), StandardCharsets.UTF_8));
    }

    private static void put(Headers headers, String key, String value) {
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
