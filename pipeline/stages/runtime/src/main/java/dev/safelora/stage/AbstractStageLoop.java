package dev.safelora.stage;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both loops share: the clients, decoding, output publishing, dead-lettering, retry with backoff
 * (pause the partition, seek back, resume later: the other partitions keep flowing), commits, metrics and
 * health. Every consumer call happens on the loop thread.
 */
abstract class AbstractStageLoop<V, O> implements StageLoop {

    private static final Duration LAG_REFRESH = Duration.ofSeconds(1);

    protected final Logger log = LoggerFactory.getLogger(getClass());
    protected final StageConfig config;
    protected final String stage;
    protected final StageMetrics metrics;
    protected final StageHealth health;
    protected final Failures failures;
    private final Deserializer<V> valueDeserializer;
    private final Serializer<O> outputSerializer;
    protected final Consumer<byte[], byte[]> consumer;
    protected final Producer<byte[], byte[]> producer;
    /** {@code safelora-<stage>-<instance>}: stable across restarts, not dependent on how many loops were built before. */
    protected final String clientId;

    /** Partitions paused for a retry, with the time they may resume. */
    private final Map<TopicPartition, Long> retryAt = new HashMap<>();
    /** Failed attempts of the record at the head of each partition. */
    private final Map<TopicPartition, Attempts> attempts = new HashMap<>();
    private final Set<TopicPartition> lagLabelled = new HashSet<>();
    /** The highest offset counted as consumed per partition, so re-reads after a seek-back count once. */
    private final Map<TopicPartition, Long> countedUpTo = new HashMap<>();
    /** The group's committed offset per assigned partition, as last read or committed by this loop. */
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private long nextLagRefresh;

    protected volatile boolean stopRequested;
    protected volatile boolean halted;
    private volatile Throwable failure;
    private final CountDownLatch terminated = new CountDownLatch(1);

    /** A record outcome for the caller: done (commit it) or to be retried (partition paused, sought back). */
    enum Outcome { DONE, RETRY }

    /** The failed attempts so far of the record at {@code offset}: all of them, and the unexpected ones. */
    record Attempts(long offset, int all, int unexpected) {
        Attempts next(Failures.Verdict verdict) {
            return new Attempts(offset, all + 1, unexpected + (verdict == Failures.Verdict.UNEXPECTED ? 1 : 0));
        }
    }

    AbstractStageLoop(StageConfig config, Deserializer<V> valueDeserializer, Serializer<O> outputSerializer,
                      StageMetrics metrics, Failures failures, StageClients clients) {
        this.config = config;
        this.stage = config.stageName();
        this.valueDeserializer = valueDeserializer;
        this.outputSerializer = outputSerializer;
        this.metrics = metrics;
        this.failures = failures;
        this.health = new StageHealth(stage, config.healthStaleAfter());
        this.clientId = KafkaClients.clientId(config);
        this.consumer = clients.consumers().apply(KafkaClients.consumer(config, clientId));
        this.producer = clients.producers().apply(KafkaClients.producer(config, clientId));
        metrics.inFlight.labelValues(stage).set(0);
    }

    @Override
    public String stageName() {
        return stage;
    }

    @Override
    public StageHealth health() {
        return health;
    }

    @Override
    public Thread start() {
        Thread t = new Thread(this, "stage-" + stage);
        t.start();
        return t;
    }

    @Override
    public void shutdown() {
        stopRequested = true;
    }

    @Override
    public void halt() {
        halted = true;
        stopRequested = true;
    }

    @Override
    public java.util.Optional<Throwable> failure() {
        return java.util.Optional.ofNullable(failure);
    }

    @Override
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public final void run() {
        log.info("stage {} consuming {} as group {}", stage, config.inputTopics(), config.groupId());
        try {
            begin();
            while (!stopRequested) {
                if (!step()) {
                    break;
                }
            }
            if (!halted) {
                drain();
            } else {
                onHalt();
            }
        } catch (RuntimeException | Error e) {
            log.error("stage {} loop failed: {}", stage, Failures.describe(e), e);
            failure = e;
            halted = true;
            onHalt();
            throw e;
        } finally {
            health.stopped();
            closeClients();
            metrics.inFlight.labelValues(stage).set(0);
            terminated.countDown();
            log.info("stage {} stopped", stage);
        }
    }

    /** Before the first poll: the subclass's start, then the subscription. */
    void begin() {
        onStart();
        consumer.subscribe(config.inputTopics(), new Rebalance());
    }

    /**
     * One turn of the loop: a poll and everything that follows it (records, job completions, commits, retries
     * due, lag); false when the loop was halted meanwhile. Unit tests drive the loop with this, turn by turn.
     */
    boolean step() {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(config.pollTimeout());
        health.polled();
        if (halted) {
            return false;
        }
        onRecords(records);
        afterPoll();
        commitPositions();
        resumeDueRetries();
        refreshLag(false);
        return true;
    }

    /** Before the first poll, on the loop thread. */
    protected void onStart() {}

    /** Closes clients of the subclass, after the consumer. */
    protected void closeMore(Duration grace) {}

    /** Handles a poll's records. */
    protected abstract void onRecords(ConsumerRecords<byte[], byte[]> records);

    /** Work after each poll (job completions). */
    protected void afterPoll() {}

    /** Graceful stop, on the loop thread, before the clients close. */
    protected void drain() {}

    /** Crash-like stop: cancel what runs, commit nothing. */
    protected void onHalt() {}

    /** Partitions that are revoked or lost; {@code lost} means committing is no longer possible. */
    protected void onRevoked(Collection<TopicPartition> partitions, boolean lost) {}

    /** Whether a partition paused for a retry may resume now (the job loop keeps busy ones paused). */
    protected boolean mayResume(TopicPartition tp) {
        return !stopRequested;
    }

    /**
     * Whether everything this loop has read from {@code tp} is done, so that the consumer's position may be
     * committed (the job loop's partition with a running job is not).
     */
    protected boolean settled(TopicPartition tp) {
        return true;
    }

    /** The offset lag is counted from; the job loop counts a running record as not done. */
    protected long lagFrom(TopicPartition tp, long position) {
        return position;
    }

    private void closeClients() {
        Duration grace = halted ? Duration.ZERO : Duration.ofSeconds(5);
        try {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(grace));
        } catch (RuntimeException e) {
            log.warn("stage {}: closing the consumer: {}", stage, e.toString());
        }
        try {
            producer.close(grace);
        } catch (RuntimeException e) {
            log.warn("stage {}: closing the producer: {}", stage, e.toString());
        }
        closeMore(grace);
        lagLabelled.forEach(tp -> metrics.lag.remove(stage, tp.topic(), Integer.toString(tp.partition())));
        lagLabelled.clear();
    }

    // ---- decoding, outputs, failures ------------------------------------------------------------

    /** Counts a record as consumed, once per offset however often a retry or a pause re-reads it. */
    protected void countConsumed(ConsumerRecord<byte[], byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        Long counted = countedUpTo.get(tp);
        if (counted == null || r.offset() > counted) {
            countedUpTo.put(tp, r.offset());
            metrics.consumed.labelValues(stage, r.topic()).inc();
        }
    }

    protected InputRecord<V> decode(ConsumerRecord<byte[], byte[]> r) {
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        V value = r.value() == null ? null : valueDeserializer.deserialize(r.topic(), r.headers(), r.value());
        return new InputRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(), key, value, r.headers());
    }

    protected ProducerRecord<byte[], byte[]> serialize(Output<O> out) {
        RecordHeaders headers = new RecordHeaders();
        byte[] key = out.key() == null ? null : out.key().getBytes(StandardCharsets.UTF_8);
        byte[] value = out.value() == null ? null : outputSerializer.serialize(out.topic(), headers, out.value());
        return new ProducerRecord<>(out.topic(), null, key, value, headers);
    }

    /** Serializes and sends every output; the futures complete when the broker acknowledges. */
    protected List<Future<RecordMetadata>> send(List<Output<O>> outputs) {
        List<Future<RecordMetadata>> futures = new ArrayList<>();
        if (outputs == null) {
            return futures;
        }
        for (Output<O> out : outputs) {
            ProducerRecord<byte[], byte[]> rec = serialize(out);
            futures.add(producer.send(rec, (md, e) -> {
                if (e == null) {
                    metrics.published.labelValues(stage, out.topic()).inc();
                }
            }));
        }
        return futures;
    }

    /** Waits for acknowledgements; the first failure is rethrown as it came from the producer. */
    protected static void await(List<Future<RecordMetadata>> futures) throws Exception {
        for (Future<RecordMetadata> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception ex ? ex : e;
            }
        }
    }

    /**
     * Decides and carries out what happens to a record whose processing failed: dead-letter it (DONE, the
     * caller commits), or pause its partition, seek back to it and retry after a backoff (RETRY).
     */
    protected Outcome fail(ConsumerRecord<byte[], byte[]> r, Throwable failure, boolean duringDecode, long startNanos) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        Failures.Verdict verdict = failures.classify(failure, duringDecode);
        if (verdict == Failures.Verdict.PROCESS_FAULT) {
            metrics.failed.labelValues(stage, r.topic(), "process_fault").inc();
            // Ends the loop (run() halts it: nothing committed, nothing dead-lettered) and the process with it.
            throw new ProcessFaultException("stage " + stage + ": " + position(r) + " hit a fault of this process, stopping"
                    + " without committing it so that a fresh process redoes it: " + Failures.describe(failure), failure);
        }
        Attempts counts = recordAttempt(tp, r.offset(), verdict);
        int attempt = counts.all();
        String kind = verdict.name().toLowerCase(java.util.Locale.ROOT);
        metrics.failed.labelValues(stage, r.topic(), kind).inc();
        metrics.observeDuration(stage, r.topic(), kind, Duration.ofNanos(System.nanoTime() - startNanos));
        // Only unexpected failures use up max.attempts: an outage retried meanwhile says nothing about the record.
        boolean giveUp = verdict == Failures.Verdict.BAD_INPUT
                || (verdict == Failures.Verdict.UNEXPECTED && config.backoff().exhausted(counts.unexpected()));
        if (giveUp) {
            BadInputException.Cause cause = Failures.category(failure, duringDecode);
            if (deadLetter(r, failure, cause, attempt)) {
                return Outcome.DONE;
            }
        } else {
            log.warn("stage {}: {} failed ({} failure, attempt {}), retrying: {}", stage, position(r), kind, attempt,
                    Failures.describe(failure));
        }
        retryLater(tp, r.offset(), attempt);
        return Outcome.RETRY;
    }

    /** Sends the record to its dead-letter topic and waits for the acknowledgement; false if that failed. */
    protected boolean deadLetter(ConsumerRecord<byte[], byte[]> r, Throwable failure, BadInputException.Cause cause, int attempts) {
        ProducerRecord<byte[], byte[]> dlq = DeadLetters.of(r, failure, cause, stage, attempts, Instant.now());
        try {
            producer.send(dlq).get();
            metrics.deadLettered.labelValues(stage, r.topic()).inc();
            log.warn("stage {}: {} dead-lettered to {} ({}): {}", stage, position(r), dlq.topic(), cause, Failures.describe(failure));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | KafkaException e) {
            log.warn("stage {}: could not dead-letter {} to {}, will retry: {}", stage, position(r), dlq.topic(), e.toString());
            return false;
        }
    }

    /** Counts a failed attempt of the record at {@code offset}. */
    private Attempts recordAttempt(TopicPartition tp, long offset, Failures.Verdict verdict) {
        Attempts before = attempts.get(tp);
        Attempts now = (before == null || before.offset() != offset ? new Attempts(offset, 0, 0) : before).next(verdict);
        attempts.put(tp, now);
        return now;
    }

    /** Unexpected failures so far of the record at {@code offset} of {@code tp} (0 for a record not failed yet). */
    protected int unexpectedFailures(TopicPartition tp, long offset) {
        Attempts a = attempts.get(tp);
        return a == null || a.offset() != offset ? 0 : a.unexpected();
    }

    protected void clearAttempts(TopicPartition tp) {
        attempts.remove(tp);
    }

    protected void retryLater(TopicPartition tp, long offset, int attempt) {
        consumer.seek(tp, offset);
        consumer.pause(List.of(tp));
        retryAt.put(tp, System.nanoTime() + config.backoff().delay(attempt).toNanos());
    }

    protected boolean retrying(TopicPartition tp) {
        return retryAt.containsKey(tp);
    }

    private void resumeDueRetries() {
        long now = System.nanoTime();
        List<TopicPartition> due = new ArrayList<>();
        retryAt.forEach((tp, at) -> {
            if (now - at >= 0) {
                due.add(tp);
            }
        });
        for (TopicPartition tp : due) {
            if (mayResume(tp)) {
                retryAt.remove(tp);
                if (consumer.assignment().contains(tp)) {
                    consumer.resume(List.of(tp));
                }
            }
        }
    }

    /**
     * Commits the consumer's position of every settled partition where it is ahead of the last commit. The
     * position, not the last record's offset + 1: on a topic written in transactions the position moves past
     * the commit markers too, so an idle group's committed offset reaches the log end and its lag, as Kafka's
     * tools, KEDA and Burrow compute it, returns to 0.
     */
    protected void commitPositions() {
        if (halted) {
            return;
        }
        Set<TopicPartition> assigned = consumer.assignment();
        Set<TopicPartition> unknown = new HashSet<>(assigned);
        unknown.removeAll(committed.keySet());
        if (!unknown.isEmpty()) {
            // What the group had committed before this assignment (none counts as 0): only progress is committed.
            try {
                Map<TopicPartition, OffsetAndMetadata> before = consumer.committed(unknown, Duration.ofSeconds(2));
                unknown.forEach(tp -> committed.put(tp, before.get(tp) == null ? 0L : before.get(tp).offset()));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                return;
            }
        }
        Map<TopicPartition, OffsetAndMetadata> ahead = new HashMap<>();
        for (TopicPartition tp : assigned) {
            if (!settled(tp)) {
                continue;
            }
            long position;
            try {
                position = consumer.position(tp, Duration.ofMillis(200));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                continue;
            }
            if (position > committed.get(tp)) {
                ahead.put(tp, new OffsetAndMetadata(position));
            }
        }
        commit(ahead);
    }

    protected void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (offsets.isEmpty() || halted) {
            return;
        }
        try {
            consumer.commitSync(offsets);
            committed(offsets);
        } catch (CommitFailedException e) {
            // The group moved on (a rebalance completed without us): the new owner redoes these records.
            log.warn("stage {}: commit of {} refused after a rebalance; the records will be redone", stage, offsets.keySet());
        } catch (org.apache.kafka.common.errors.TimeoutException | org.apache.kafka.common.errors.RebalanceInProgressException e) {
            log.warn("stage {}: commit of {} failed ({}); a later commit or a redo covers it", stage, offsets, e.toString());
        }
    }

    /** Notes offsets committed (also those committed in a transaction). */
    protected void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, o) -> committed.merge(tp, o.offset(), Math::max));
    }

    protected void commit(TopicPartition tp, long nextOffset) {
        commit(Map.of(tp, new OffsetAndMetadata(nextOffset)));
    }

    protected static String position(ConsumerRecord<?, ?> r) {
        return r.topic() + "-" + r.partition() + "@" + r.offset();
    }

    // ---- lag ------------------------------------------------------------------------------------

    protected void refreshLag(boolean force) {
        long now = System.nanoTime();
        if (!force && now - nextLagRefresh < 0) {
            return;
        }
        nextLagRefresh = now + LAG_REFRESH.toNanos();
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            return;
        }
        try {
            Map<TopicPartition, Long> ends = consumer.endOffsets(assigned, Duration.ofSeconds(2));
            for (TopicPartition tp : assigned) {
                Long end = ends.get(tp);
                if (end == null) {
                    continue;
                }
                long position = consumer.position(tp, Duration.ofMillis(200));
                metrics.lag.labelValues(stage, tp.topic(), Integer.toString(tp.partition()))
                        .set(Math.max(0, end - lagFrom(tp, position)));
                lagLabelled.add(tp);
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            log.debug("stage {}: lag not refreshed: {}", stage, e.toString());
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            forget(partitions);
            if (!partitions.isEmpty()) {
                onRevoked(partitions, false);
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
            onRevoked(partitions, true);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                log.info("stage {}: assigned {}", stage, partitions);
            }
        }

        private void forget(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                retryAt.remove(tp);
                attempts.remove(tp);
                countedUpTo.remove(tp);
                committed.remove(tp);
                if (lagLabelled.remove(tp)) {
                    metrics.lag.remove(stage, tp.topic(), Integer.toString(tp.partition()));
                }
            }
        }
    }
}
