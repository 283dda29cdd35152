package dev.safelora.stage;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The record-at-a-time loop for short work: poll, decode with the stage's deserializer, call the
 * {@link RecordHandler}, publish its outputs and wait for the broker's acknowledgement, and once a poll's
 * records are done commit the consumer's position (commitSync; the position, so that lag reaches 0 past
 * transaction markers). At-least-once, no transactions: a crash between
 * publishing and committing redoes those records, so outputs must be idempotent (same key, same content).
 *
 * <p>A record that cannot be decoded, or whose handler throws {@link BadInputException}, goes to
 * {@code <topic>.dlq} (see {@link DeadLetters}) and the loop goes on with the next record. A transient
 * failure pauses only that partition, seeks back, and retries after an exponential backoff; other
 * partitions keep flowing. See {@link Failures} for the classification.
 */
public final class RecordLoop<V, O> extends AbstractStageLoop<V, O> {

    private final RecordHandler<V, O> handler;

    public RecordLoop(StageConfig config, Deserializer<V> valueDeserializer, Serializer<O> outputSerializer,
                      RecordHandler<V, O> handler, StageMetrics metrics) {
        this(config, valueDeserializer, outputSerializer, handler, metrics, Failures.standard());
    }

    public RecordLoop(StageConfig config, Deserializer<V> valueDeserializer, Serializer<O> outputSerializer,
                      RecordHandler<V, O> handler, StageMetrics metrics, Failures failures) {
        this(config, valueDeserializer, outputSerializer, handler, metrics, failures, StageClients.kafka());
    }

    /** @param clients makes the consumer and the producer */
    public RecordLoop(StageConfig config, Deserializer<V> valueDeserializer, Serializer<O> outputSerializer,
                      RecordHandler<V, O> handler, StageMetrics metrics, Failures failures, StageClients clients) {
        super(refuseExactlyOnce(config), valueDeserializer, outputSerializer, metrics, failures, clients);
        this.handler = handler;
    }

    private static StageConfig refuseExactlyOnce(StageConfig config) {
        if (config.exactlyOnce()) {
            throw new IllegalArgumentException("stage " + config.stageName() + ": stage.exactly.once is supported by the"
                    + " long-job loop only; this stage's record loop delivers at least once (idempotent outputs)");
        }
        return config;
    }

    @Override
    protected void onRecords(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                if (stopRequested) {
                    // Shutting down: what is not done now is redone by the next owner.
                    consumer.seek(tp, r.offset());
                    break;
                }
                if (process(tp, r) == Outcome.RETRY) {
                    break;
                }
            }
        }
        // Every record not sought back is done: the positions are committed after the poll (commitPositions).
    }

    private Outcome process(TopicPartition tp, ConsumerRecord<byte[], byte[]> r) {
        countConsumed(r);
        long start = System.nanoTime();
        InputRecord<V> in;
        try {
            in = decode(r);
        } catch (Exception e) {
            return fail(r, e, true, start);
        }
        metrics.inFlight.labelValues(stage).set(1);
        try {
            List<Output<O>> outputs = handler.handle(in);
            await(send(outputs));
            metrics.observeDuration(stage, r.topic(), "ok", Duration.ofNanos(System.nanoTime() - start));
            clearAttempts(tp);
            return Outcome.DONE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(r, new TransientException("interrupted", e), false, start);
        } catch (Exception e) {
            return fail(r, e, false, start);
        } finally {
            metrics.inFlight.labelValues(stage).set(0);
        }
    }
}
