package dev.safelora.stage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The loop for long work (training): on a record it pauses the record's partition, runs the
 * {@link LongJob} on a worker thread and keeps polling meanwhile, so the consumer stays in its group however
 * long the job takes ({@code max.poll.interval.ms} only bounds the time between polls, and polls go on).
 * When the job returns, its outputs are published; once the broker has acknowledged them the offset is
 * committed and the partition resumes. At most {@code max.concurrent.jobs} jobs run at once (one per
 * partition); other partitions wait paused.
 *
 * <p>Rebalance (cooperative-sticky assignment, so only moving partitions are touched): a revoked
 * partition's job is cancelled cooperatively ({@link JobContext#cancelled()}), its offset is not
 * committed, and the new owner redoes the record; a cancelled job still running counts against the
 * concurrency limit until it returns. A job whose outputs are already being published when its partition
 * is revoked is committed if they are acknowledged.
 *
 * <p>Graceful shutdown: no new records; running jobs get {@code shutdown.deadline} to finish (and are then
 * published and committed); after it they are cancelled with {@link JobContext.CancelReason#SHUTDOWN} (time
 * to checkpoint) and given {@code shutdown.cancel.grace} to return; their offsets are not committed. Then
 * the consumer leaves the group.
 *
 * <p>Failures are classified as in {@link RecordLoop}; a transient failure of a job reruns it after a
 * backoff, a transient failure to publish its outputs republishes them without rerunning the job.
 *
 * <p>Delivery: by default at-least-once (outputs acknowledged, then the offset committed; a crash in between
 * publishes the outputs again). With {@code stage.exactly.once=true} the outputs and the offset are written
 * in one Kafka transaction (a stable {@code transactional.id} per host and loop, EOS v2 fencing through the
 * consumer group), so read_committed consumers see each job's outputs exactly once even across crashes.
 * Progress records ({@link JobContext#publish}) and dead letters stay outside transactions, at-least-once.
 */
public final class LongJobLoop<V, O> extends AbstractStageLoop<V, O> {

    private final LongJob<V, O> job;
    private final ExecutorService workers;
    private final Map<TopicPartition, RunningJob> running = new LinkedHashMap<>();
    private final List<Future<?>> cancelledStillRunning = new ArrayList<>();
    private final Set<TopicPartition> waitingForCapacity = new LinkedHashSet<>();
    /** With {@code stage.exactly.once}: outputs and the offset go out in one transaction. */
    private final Producer<byte[], byte[]> txProducer;
    private static final int COMMIT_ATTEMPTS = 5;

    public LongJobLoop(StageConfig config, Deserializer<V> valueDeserializer, Serializer<O> outputSerializer,
                       LongJob<V, O> job, StageMetrics metrics) {
        this(config, valueDeserializer, outputSerializer, job, metrics, Failures.standard());
    }

    public LongJobLoop(StageConfig config, Deserializer<V> valueDeserializer, Serializer<O> outputSerializer,
                       LongJob<V, O> job, StageMetrics metrics, Failures failures) {
        this(config, valueDeserializer, outputSerializer, job, metrics, failures, StageClients.kafka());
    }

    /** @param clients makes the consumer and the producers (the transactional one with {@code stage.exactly.once}) */
    public LongJobLoop(StageConfig config, Deserializer<V> valueDeserializer, Serializer<O> outputSerializer, LongJob<V, O> job,
                       StageMetrics metrics, Failures failures, StageClients clients) {
        super(config, valueDeserializer, outputSerializer, metrics, failures, clients);
        this.job = job;
        if (config.exactlyOnce()) {
            this.txProducer = clients.producers().apply(KafkaClients.transactionalProducer(config, clientId));
        } else {
            this.txProducer = null;
        }
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "stage-" + config.stageName() + "-job-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    private final class RunningJob implements JobContext<O> {
        final TopicPartition tp;
        final ConsumerRecord<byte[], byte[]> record;
        final long startNanos = System.nanoTime();
        final AtomicReference<CancelReason> cancel = new AtomicReference<>();
        final boolean finalAttempt;
        Future<List<Output<O>>> result;
        List<Output<O>> outputs;
        List<Future<RecordMetadata>> acks;
        long republishAt;
        /** Failed attempts to publish the outputs (each waits longer before the next). */
        int publishFailures;

        RunningJob(TopicPartition tp, ConsumerRecord<byte[], byte[]> record) {
            this.tp = tp;
            this.record = record;
            this.finalAttempt = config.backoff().exhausted(unexpectedFailures(tp, record.offset()) + 1);
        }

        @Override
        public boolean finalAttempt() {
            return finalAttempt;
        }

        @Override
        public boolean cancelled() {
            return cancel.get() != null;
        }

        @Override
        public Optional<CancelReason> cancelReason() {
            return Optional.ofNullable(cancel.get());
        }

        @Override
        public void publish(Output<O> output) {
            if (cancelled()) {
                return;
            }
            try {
                producer.send(serialize(output), (md, e) -> {
                    if (e == null) {
                        metrics.published.labelValues(stage, output.topic()).inc();
                    } else {
                        log.warn("stage {}: progress record for {} not published: {}", stage, position(record), e.toString());
                    }
                });
            } catch (RuntimeException e) {
                log.warn("stage {}: progress record for {} not published: {}", stage, position(record), Failures.describe(e));
            }
        }

        @Override
        public Path scratchDir() {
            Path dir = config.workDir().resolve(stage).resolve("jobs")
                    .resolve(record.topic() + "-" + record.partition() + "-" + record.offset());
            try {
                return Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the job directory " + dir, e);
            }
        }
    }

    @Override
    protected void onStart() {
        if (txProducer != null) {
            txProducer.initTransactions();
        }
    }

    @Override
    protected void closeMore(Duration grace) {
        if (txProducer != null) {
            try {
                txProducer.close(grace);
            } catch (RuntimeException e) {
                log.warn("stage {}: closing the transactional producer: {}", stage, e.toString());
            }
        }
    }

    @Override
    protected void onRecords(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                if (running.containsKey(tp) || retrying(tp)) {
                    break; // cannot happen while paused; never start a second job on a partition
                }
                if (stopRequested || activeJobs() >= config.maxConcurrentJobs()) {
                    // Not now: read it again once a job slot is free.
                    consumer.seek(tp, r.offset());
                    consumer.pause(List.of(tp));
                    waitingForCapacity.add(tp);
                    break;
                }
                countConsumed(r);
                long start = System.nanoTime();
                InputRecord<V> in;
                try {
                    in = decode(r);
                } catch (Exception e) {
                    if (fail(r, e, true, start) == Outcome.DONE) {
                        commit(tp, r.offset() + 1);
                        continue;
                    }
                    break;
                }
                startJob(tp, r, in);
                break;
            }
        }
    }

    private void startJob(TopicPartition tp, ConsumerRecord<byte[], byte[]> r, InputRecord<V> in) {
        consumer.seek(tp, r.offset() + 1);
        consumer.pause(List.of(tp));
        RunningJob j = new RunningJob(tp, r);
        running.put(tp, j);
        metrics.inFlight.labelValues(stage).set(running.size());
        log.info("stage {}: job for {} started", stage, position(r));
        j.result = workers.submit(() -> job.run(in, j));
    }

    private int activeJobs() {
        cancelledStillRunning.removeIf(Future::isDone);
        return running.size() + cancelledStillRunning.size();
    }

    @Override
    protected void afterPoll() {
        for (RunningJob j : new ArrayList<>(running.values())) {
            if (j.outputs == null && j.result.isDone()) {
                collect(j);
            }
            if (j.outputs != null && j.acks == null && System.nanoTime() - j.republishAt >= 0 && running.get(j.tp) == j) {
                if (txProducer != null) {
                    publishTransactionally(j);
                    continue;
                }
                publish(j);
            }
            if (j.acks != null && j.acks.stream().allMatch(Future::isDone)) {
                acknowledged(j);
            }
        }
        if (!stopRequested && !waitingForCapacity.isEmpty() && activeJobs() < config.maxConcurrentJobs()) {
            List<TopicPartition> resumable = new ArrayList<>(waitingForCapacity);
            resumable.retainAll(consumer.assignment());
            resumable.removeIf(tp -> retrying(tp) || running.containsKey(tp));
            consumer.resume(resumable);
            waitingForCapacity.clear();
        }
    }

    private void collect(RunningJob j) {
        try {
            j.outputs = j.result.get();
            if (j.outputs == null) {
                j.outputs = List.of();
            }
        } catch (ExecutionException e) {
            jobFailed(j, e.getCause());
        } catch (CancellationException | InterruptedException e) {
            jobFailed(j, new JobCancelledException(JobContext.CancelReason.HALTED));
        }
    }

    private void publish(RunningJob j) {
        try {
            j.acks = send(j.outputs);
        } catch (RuntimeException e) {
            publishFailed(j, e);
        }
    }

    /**
     * The job's work is done; only publishing its outputs failed. A transient failure (registry or broker
     * away) publishes again later - never reruns a job that may have taken hours; anything else is a
     * failure of the record.
     */
    private void publishFailed(RunningJob j, Exception e) {
        if (failures.classify(e, false) == Failures.Verdict.TRANSIENT) {
            metrics.failed.labelValues(stage, j.record.topic(), "transient").inc();
            log.warn("stage {}: publishing the outputs of {} failed, publishing again: {}", stage, position(j.record), Failures.describe(e));
            j.acks = null;
            j.republishAt = System.nanoTime() + config.backoff().delay(++j.publishFailures).toNanos();
        } else {
            jobFailed(j, e);
        }
    }

    /**
     * Outputs and the record's offset in one transaction (EOS v2: the offset is committed with the
     * consumer's group metadata, so a consumer that lost the partition - a zombie - is fenced and its
     * outputs never become visible to read_committed consumers).
     */
    private void publishTransactionally(RunningJob j) {
        List<ProducerRecord<byte[], byte[]>> records;
        try {
            records = j.outputs.stream().map(this::serialize).toList();
        } catch (RuntimeException e) {
            publishFailed(j, e);
            return;
        }
        try {
            txProducer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> r : records) {
                txProducer.send(r);
            }
            Map<TopicPartition, OffsetAndMetadata> offsets = Map.of(j.tp, new OffsetAndMetadata(j.record.offset() + 1));
            txProducer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
            commitTransaction(j);
            committed(offsets);
        } catch (KafkaException e) {
            try {
                txProducer.abortTransaction();
            } catch (KafkaException fatal) {
                throw new IllegalStateException("stage " + stage + ": the transactional producer cannot go on ("
                        + Failures.describe(e) + "); restart the stage", e);
            }
            if (causedBy(e, CommitFailedException.class) || causedBy(e, FencedInstanceIdException.class)) {
                // The group moved on while the transaction was open. If the partition went to another consumer,
                // the rebalance cancels the job at the next poll; if it stayed ours, the outputs go out again with
                // the new generation. (Dropping the job here left a partition we kept paused for good.)
                log.warn("stage {}: the group refused the offsets of {} ({}); its outputs were aborted and go out again unless"
                        + " the partition moves", stage, position(j.record), Failures.describe(e));
                metrics.failed.labelValues(stage, j.record.topic(), "transient").inc();
                j.republishAt = System.nanoTime() + config.backoff().delay(++j.publishFailures).toNanos();
                return;
            }
            publishFailed(j, e);
            return;
        }
        for (Output<O> out : j.outputs) {
            metrics.published.labelValues(stage, out.topic()).inc();
        }
        metrics.observeDuration(stage, j.record.topic(), "ok", Duration.ofNanos(System.nanoTime() - j.startNanos));
        log.info("stage {}: job for {} done, {} outputs and the offset committed in one transaction", stage, position(j.record), j.outputs.size());
        clearAttempts(j.tp);
        finish(j, true);
    }

    /**
     * A commit that timed out may still complete, and the producer refuses anything but committing again
     * (an abort throws IllegalStateException), so a timeout is retried a few times, each waiting up to
     * {@code max.block.ms}; then the stage stops, and on restart the coordinator completes or aborts the
     * transaction (the offset goes with the outputs, so nothing is lost or doubled).
     */
    private void commitTransaction(RunningJob j) {
        for (int attempt = 1; ; attempt++) {
            try {
                txProducer.commitTransaction();
                return;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                if (attempt >= COMMIT_ATTEMPTS) {
                    throw new IllegalStateException("stage " + stage + ": committing the transaction of " + position(j.record)
                            + " timed out " + attempt + " times; restart the stage", e);
                }
                log.warn("stage {}: committing the transaction of {} timed out, committing again: {}", stage, position(j.record), e.toString());
            }
        }
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private void acknowledged(RunningJob j) {
        try {
            await(j.acks);
        } catch (Exception e) {
            publishFailed(j, e);
            return;
        }
        commit(j.tp, j.record.offset() + 1);
        metrics.observeDuration(stage, j.record.topic(), "ok", Duration.ofNanos(System.nanoTime() - j.startNanos));
        log.info("stage {}: job for {} done, {} outputs published and committed", stage, position(j.record), j.outputs.size());
        clearAttempts(j.tp);
        finish(j, true);
    }

    private void jobFailed(RunningJob j, Throwable failure) {
        if (failure instanceof JobCancelledException || j.cancelled()) {
            metrics.observeDuration(stage, j.record.topic(), "cancelled", Duration.ofNanos(System.nanoTime() - j.startNanos));
            finish(j, false);
            return;
        }
        running.remove(j.tp);
        metrics.inFlight.labelValues(stage).set(running.size());
        if (fail(j.record, failure, false, j.startNanos) == Outcome.DONE) {
            commit(j.tp, j.record.offset() + 1);
            if (!stopRequested) {
                consumer.resume(List.of(j.tp));
            }
        }
        // RETRY: fail() sought back to the record and keeps the partition paused until the backoff ends.
    }

    private void finish(RunningJob j, boolean resume) {
        running.remove(j.tp);
        metrics.inFlight.labelValues(stage).set(running.size());
        if (resume && !stopRequested && consumer.assignment().contains(j.tp)) {
            consumer.resume(List.of(j.tp));
        }
    }

    @Override
    protected boolean mayResume(TopicPartition tp) {
        return !stopRequested && !running.containsKey(tp);
    }

    @Override
    protected boolean settled(TopicPartition tp) {
        return !running.containsKey(tp);
    }

    @Override
    protected long lagFrom(TopicPartition tp, long position) {
        RunningJob j = running.get(tp);
        return j != null ? j.record.offset() : position;
    }

    @Override
    protected void onRevoked(Collection<TopicPartition> partitions, boolean lost) {
        for (TopicPartition tp : partitions) {
            waitingForCapacity.remove(tp);
            RunningJob j = running.remove(tp);
            if (j == null) {
                continue;
            }
            if (!lost && !halted && j.acks != null) {
                producer.flush();
                try {
                    await(j.acks);
                    commit(tp, j.record.offset() + 1);
                    log.info("stage {}: {} revoked after its outputs were published; committed", stage, tp);
                    continue;
                } catch (Exception e) {
                    log.warn("stage {}: {} revoked while publishing failed; the new owner redoes it", stage, tp);
                }
            }
            cancel(j, halted ? JobContext.CancelReason.HALTED : JobContext.CancelReason.REVOKED);
        }
        metrics.inFlight.labelValues(stage).set(running.size());
    }

    private void cancel(RunningJob j, JobContext.CancelReason reason) {
        j.cancel.compareAndSet(null, reason);
        if (!j.result.isDone()) {
            cancelledStillRunning.add(j.result);
        }
        metrics.observeDuration(stage, j.record.topic(), "cancelled", Duration.ofNanos(System.nanoTime() - j.startNanos));
        log.info("stage {}: job for {} cancelled ({}); its offset is not committed", stage, position(j.record), reason);
    }

    @Override
    protected void drain() {
        consumer.pause(consumer.assignment());
        long deadline = System.nanoTime() + config.shutdownDeadline().toNanos();
        boolean cancelled = false;
        while (!running.isEmpty() && !halted) {
            if (!cancelled && System.nanoTime() - deadline >= 0) {
                log.warn("stage {}: shutdown deadline {} passed, cancelling {} job(s)", stage, config.shutdownDeadline(), running.size());
                for (RunningJob j : running.values()) {
                    if (j.acks == null) {
                        j.cancel.compareAndSet(null, JobContext.CancelReason.SHUTDOWN);
                    }
                }
                deadline = System.nanoTime() + config.shutdownCancelGrace().toNanos();
                cancelled = true;
            } else if (cancelled && System.nanoTime() - deadline >= 0) {
                log.warn("stage {}: {} job(s) did not stop within {}; leaving them", stage, running.size(), config.shutdownCancelGrace());
                break;
            }
            ConsumerRecords<byte[], byte[]> records = consumer.poll(config.pollTimeout());
            health.polled();
            for (TopicPartition tp : records.partitions()) {
                // Newly assigned during the drain: give it back untouched.
                consumer.seek(tp, records.records(tp).get(0).offset());
                consumer.pause(List.of(tp));
            }
            afterPoll();
        }
        for (RunningJob j : new ArrayList<>(running.values())) {
            cancel(j, JobContext.CancelReason.SHUTDOWN);
        }
        running.clear();
        workers.shutdownNow();
    }

    @Override
    protected void onHalt() {
        for (RunningJob j : running.values()) {
            cancel(j, JobContext.CancelReason.HALTED);
        }
        running.clear();
        workers.shutdownNow();
    }
}
