package dev.safelora.stage;

import static dev.safelora.stage.StageTestKit.await;
import static dev.safelora.stage.StageTestKit.committed;
import static dev.safelora.stage.StageTestKit.createTopics;
import static dev.safelora.stage.StageTestKit.intBytes;
import static dev.safelora.stage.StageTestKit.produce;
import static dev.safelora.stage.StageTestKit.readAll;
import static dev.safelora.stage.StageTestKit.sample;
import static dev.safelora.stage.StageTestKit.unique;
import static dev.safelora.stage.StageTestKit.values;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.IntegerDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The long-job loop on the real in-process broker; values are 4-byte ints (Kafka's IntegerDeserializer). */
class LongJobLoopTest {

    @TempDir Path work;
    private final List<StageLoop> loops = new ArrayList<>();
    private StageHttpServer http;

    @AfterEach
    void stop() throws Exception {
        for (StageLoop l : loops) {
            l.shutdown();
        }
        for (StageLoop l : loops) {
            assertThat(l.awaitTermination(Duration.ofSeconds(30))).isTrue();
        }
        if (http != null) {
            http.close();
        }
    }

    private static ProducerRecord<byte[], byte[]> rec(String topic, int partition, String key, byte[] value) {
        return new ProducerRecord<>(topic, partition, key.getBytes(StandardCharsets.UTF_8), value);
    }

    private LongJobLoop<Integer, String> start(String stage, String group, String in, Map<String, String> extra,
                                               LongJob<Integer, String> job, StageMetrics metrics) {
        StageConfig config = StageTestKit.config(stage, group, in, work, extra);
        LongJobLoop<Integer, String> l = new LongJobLoop<>(config, new IntegerDeserializer(), new StringSerializer(), job, metrics);
        loops.add(l);
        l.start();
        return l;
    }

    /** Sleeps in small steps, stopping with JobCancelledException as soon as the job is cancelled. */
    private static void work(JobContext<String> ctx, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) {
            ctx.checkCancelled();
            Thread.sleep(20);
        }
    }

    @ParameterizedTest(name = "exactly once: {0}")
    @ValueSource(booleans = {false, true})
    void jobLongerThanMaxPollIntervalCompletesWithoutRebalanceWhileHealthAndLagAreReported(boolean exactlyOnce) throws Exception {
        String in = unique("jobs");
        String out = unique("adapters");
        String progress = unique("progress");
        createTopics(1, in, out, progress, in + ".dlq");
        // Values are how long each job takes, in ms; the first one is well past max.poll.interval.ms.
        produce(List.of(rec(in, 0, "r1", intBytes(2500)), rec(in, 0, "r2", intBytes(10)), rec(in, 0, "r3", intBytes(10))));

        List<Long> runs = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch firstStarted = new CountDownLatch(1);
        StageMetrics metrics = new StageMetrics();
        http = StageHttpServer.start(0, metrics);
        LongJobLoop<Integer, String> loop = start("trainer", unique("group"), in,
                Map.of("kafka.consumer.max.poll.interval.ms", "1000", "exactly.once", Boolean.toString(exactlyOnce)), (r, ctx) -> {
                    runs.add(r.offset());
                    firstStarted.countDown();
                    ctx.publish(Output.of(progress, r.key(), "started " + r.key()));
                    work(ctx, r.value());
                    return List.of(Output.of(out, r.key(), "adapter for " + r.key()));
                }, metrics);
        http.watch(loop.health());

        assertThat(firstStarted.await(30, TimeUnit.SECONDS)).isTrue();
        // Mid-job: healthy (polling goes on), one job in flight, all three records still to do.
        await("lag of 3 while the first job runs", Duration.ofSeconds(3), () ->
                Double.valueOf(3.0).equals(metric("safelora_stage_consumer_lag", Map.of("stage", "trainer", "topic", in, "partition", "0"))));
        assertThat(metric("safelora_stage_jobs_in_flight", Map.of("stage", "trainer"))).isEqualTo(1.0);
        assertThat(StageTestKit.get(http.port(), "/health").status()).isEqualTo(200);

        await("three adapters", Duration.ofSeconds(30), () -> values(out).size() == 3);
        assertThat(values(out)).containsExactly("adapter for r1", "adapter for r2", "adapter for r3");
        assertThat(runs).as("each record ran once: no rebalance made anyone redo the long job").containsExactly(0L, 1L, 2L);
        assertThat(values(progress)).containsExactly("started r1", "started r2", "started r3");
        await("committed", Duration.ofSeconds(10), () -> committedOrEmpty(loop, in).equals(Map.of(0, 3L)));
        await("lag 0", Duration.ofSeconds(5), () ->
                Double.valueOf(0.0).equals(metric("safelora_stage_consumer_lag", Map.of("stage", "trainer", "topic", in, "partition", "0"))));
        String text = StageTestKit.get(http.port(), "/metrics").body();
        assertThat(sample(text, "safelora_stage_job_duration_seconds_count", Map.of("stage", "trainer", "topic", in, "outcome", "ok"))).isEqualTo(3.0);
        assertThat(sample(text, "safelora_stage_job_duration_seconds_sum", Map.of("stage", "trainer", "topic", in, "outcome", "ok"))).isGreaterThan(2.5);
        assertThat(sample(text, "safelora_stage_job_duration_seconds_bucket", Map.of("stage", "trainer", "topic", in, "outcome", "ok", "le", "1.0"))).isEqualTo(2.0);
        assertThat(sample(text, "safelora_stage_outputs_published_total", Map.of("stage", "trainer", "topic", out))).isEqualTo(3.0);
        assertThat(sample(text, "safelora_stage_jobs_in_flight", Map.of("stage", "trainer"))).isEqualTo(0.0);
    }

    @ParameterizedTest(name = "exactly once: {0}")
    @ValueSource(booleans = {false, true})
    void aConsumerKilledMidJobLeavesTheOffsetUncommittedAndTheNextOneRedoesTheJob(boolean exactlyOnce) throws Exception {
        String in = unique("jobs");
        String out = unique("adapters");
        createTopics(1, in, out, in + ".dlq");
        produce(List.of(rec(in, 0, "req-1", intBytes(1))));
        String group = unique("group");

        List<String> attempts = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch started = new CountDownLatch(1);
        LongJob<Integer, String> job = (r, ctx) -> {
            int attempt = attempts.size() + 1;
            attempts.add(r.key() + "@" + r.offset());
            if (attempt == 1) {
                started.countDown();
                try {
                    work(ctx, 60_000);
                } finally {
                    // A halt cancels and interrupts, like a dying process: either may end the job.
                    attempts.add("stopped:" + ctx.cancelReason().map(Enum::name).orElse("not cancelled"));
                }
            }
            return List.of(Output.of(out, r.key(), "adapter " + r.key()));
        };
        Map<String, String> mode = Map.of("exactly.once", Boolean.toString(exactlyOnce));
        LongJobLoop<Integer, String> first = start("trainer", group, in, mode, job, new StageMetrics());
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        first.halt();
        assertThat(first.awaitTermination(Duration.ofSeconds(10))).isTrue();
        await("the halted job stopped", Duration.ofSeconds(5), () -> attempts.size() == 2);
        assertThat(attempts).containsExactly("req-1@0", "stopped:HALTED");
        loops.remove(first);
        assertThat(committed(group, in)).isEmpty();
        assertThat(values(out)).isEmpty();

        start("trainer", group, in, mode, job, new StageMetrics());
        await("the redone job's adapter", Duration.ofSeconds(40), () -> values(out).size() == 1);
        assertThat(attempts).containsExactly("req-1@0", "stopped:HALTED", "req-1@0");
        assertThat(values(out)).containsExactly("adapter req-1");
        await("committed", Duration.ofSeconds(10), () -> committedOrEmpty(group, in).equals(Map.of(0, 1L)));
    }

    @Test
    void aRevokedPartitionsJobIsCancelledAndItsRecordRedoneByTheNewOwner() throws Exception {
        String in = unique("jobs");
        String out = unique("adapters");
        createTopics(2, in, out, in + ".dlq");
        produce(List.of(rec(in, 0, "p0", intBytes(0)), rec(in, 1, "p1", intBytes(1))));
        String group = unique("group");

        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        List<String> cancellations = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch bothStarted = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        LongJob<Integer, String> job = (r, ctx) -> {
            int n = runs.computeIfAbsent(r.key(), k -> new AtomicInteger()).incrementAndGet();
            if (n == 1) {
                bothStarted.countDown();
                while (release.getCount() > 0) {
                    if (ctx.cancelled()) {
                        cancellations.add(r.key() + ":" + ctx.cancelReason().orElseThrow());
                        ctx.checkCancelled();
                    }
                    Thread.sleep(20);
                }
            }
            return List.of(Output.of(out, r.key(), "adapter " + r.key() + " run " + n));
        };
        Map<String, String> twoAtOnce = Map.of("max.concurrent.jobs", "2");
        start("trainer", group, in, twoAtOnce, job, new StageMetrics());
        assertThat(bothStarted.await(30, TimeUnit.SECONDS)).isTrue();

        start("trainer", group, in, twoAtOnce, job, new StageMetrics());
        await("one job cancelled by the rebalance", Duration.ofSeconds(30), () -> cancellations.size() == 1);
        String moved = cancellations.get(0).split(":")[0];
        assertThat(cancellations.get(0)).endsWith(":REVOKED");
        await("the moved record redone by the new owner", Duration.ofSeconds(30), () -> values(out).size() == 1);
        assertThat(values(out)).containsExactly("adapter " + moved + " run 2");

        release.countDown();
        await("the other job done", Duration.ofSeconds(30), () -> values(out).size() == 2);
        String stayed = moved.equals("p0") ? "p1" : "p0";
        assertThat(values(out)).containsExactlyInAnyOrder("adapter " + moved + " run 2", "adapter " + stayed + " run 1");
        await("both committed", Duration.ofSeconds(10), () -> committedOrEmpty(group, in).equals(Map.of(0, 1L, 1, 1L)));
        assertThat(cancellations).hasSize(1);
    }

    @Test
    void gracefulShutdownLetsTheRunningJobFinishPublishAndCommit() throws Exception {
        String in = unique("jobs");
        String out = unique("adapters");
        createTopics(1, in, out, in + ".dlq");
        produce(List.of(rec(in, 0, "a", intBytes(1500)), rec(in, 0, "b", intBytes(10))));
        String group = unique("group");
        CountDownLatch started = new CountDownLatch(1);
        LongJobLoop<Integer, String> loop = start("trainer", group, in, Map.of(), (r, ctx) -> {
            started.countDown();
            work(ctx, r.value());
            return List.of(Output.of(out, r.key(), "done " + r.key()));
        }, new StageMetrics());
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        loop.shutdown();
        assertThat(loop.awaitTermination(Duration.ofSeconds(20))).isTrue();
        assertThat(values(out)).containsExactly("done a");
        assertThat(committed(group, in)).isEqualTo(Map.of(0, 1L));
        assertThat(loop.health().healthy()).isFalse();
    }

    @Test
    void shutdownPastTheDeadlineCancelsTheJobToCheckpointAndCommitsNothing() throws Exception {
        String in = unique("jobs");
        String out = unique("adapters");
        createTopics(1, in, out, in + ".dlq");
        produce(List.of(rec(in, 0, "slow", intBytes(1))));
        String group = unique("group");
        CountDownLatch started = new CountDownLatch(1);
        List<String> reasons = Collections.synchronizedList(new ArrayList<>());
        LongJobLoop<Integer, String> loop = start("trainer", group, in, Map.of("shutdown.deadline", "300ms"), (r, ctx) -> {
            started.countDown();
            try {
                work(ctx, 60_000);
            } catch (JobCancelledException e) {
                reasons.add(e.reason().name());
                Files.writeString(ctx.scratchDir().resolve("checkpoint"), "step 7");
                throw e;
            }
            return List.of(Output.of(out, r.key(), "never"));
        }, new StageMetrics());
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        loop.shutdown();
        assertThat(loop.awaitTermination(Duration.ofSeconds(20))).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(reasons).containsExactly("SHUTDOWN");
        assertThat(Files.readString(work.resolve("trainer/jobs/" + in + "-0-0/checkpoint"))).isEqualTo("step 7");
        assertThat(committed(group, in)).isEmpty();
        assertThat(values(out)).isEmpty();
    }

    @Test
    void badRecordsAndBadJobsGoToTheDlqTransientJobFailuresRerunAndTheStageMovesOn() throws Exception {
        String in = unique("jobs");
        String out = unique("adapters");
        createTopics(1, in, out, in + ".dlq");
        produce(List.of(
                rec(in, 0, "garbage", new byte[] {1, 2}),
                rec(in, 0, "missing-checkpoint", intBytes(-1)),
                rec(in, 0, "flaky", intBytes(2)),
                rec(in, 0, "good", intBytes(3))));
        String group = unique("group");
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        StageMetrics metrics = new StageMetrics();
        start("trainer", group, in, Map.of(), (r, ctx) -> {
            int n = runs.computeIfAbsent(r.key(), k -> new AtomicInteger()).incrementAndGet();
            if (r.value() < 0) {
                throw new BadInputException(BadInputException.Cause.ARTIFACT, "checkpoint file:///nowhere does not exist");
            }
            if (r.key().equals("flaky") && n == 1) {
                throw new java.net.ConnectException("connection refused by the artifact store");
            }
            return List.of(Output.of(out, r.key(), r.key() + " ok after " + n));
        }, metrics);

        await("two adapters", Duration.ofSeconds(30), () -> values(out).size() == 2);
        assertThat(values(out)).containsExactly("flaky ok after 2", "good ok after 1");
        List<ConsumerRecord<byte[], byte[]>> dlq = readAll(in + ".dlq");
        assertThat(dlq).extracting(r -> new String(r.key(), StandardCharsets.UTF_8)).containsExactly("garbage", "missing-checkpoint");
        assertThat(dlq).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.CAUSE)).containsExactly("DESERIALIZATION", "ARTIFACT");
        assertThat(DeadLetters.header(dlq.get(1).headers(), DeadLetters.ERROR_MESSAGE)).isEqualTo("checkpoint file:///nowhere does not exist");
        assertThat(dlq.get(0).value()).containsExactly(1, 2);
        assertThat(runs.get("missing-checkpoint").get()).isEqualTo(1);
        await("all committed", Duration.ofSeconds(10), () -> committedOrEmpty(group, in).equals(Map.of(0, 4L)));
        assertThat(metrics.deadLettered.labelValues("trainer", in).get()).isEqualTo(2.0);
        assertThat(metrics.failed.labelValues("trainer", in, "transient").get()).isEqualTo(1.0);
    }

    @Test
    void aProcessFaultEndsTheLoopWithoutRetryingDeadLetteringOrCommittingTheRecord() throws Exception {
        String in = unique("jobs");
        createTopics(1, in, in + ".dlq");
        produce(List.of(rec(in, 0, "on-a-broken-gpu", intBytes(1))));
        String group = unique("group");
        AtomicInteger runs = new AtomicInteger();
        StageMetrics metrics = new StageMetrics();
        LongJobLoop<Integer, String> loop = start("trainer", group, in, Map.of("max.attempts", "3"), (r, ctx) -> {
            runs.incrementAndGet();
            throw new ProcessFaultException("the device failed",
                    new RuntimeException("CUDA error: an illegal memory access was encountered"));
        }, metrics);

        await("the loop's end", Duration.ofSeconds(30), () -> loop.failure().isPresent());
        assertThat(loop.awaitTermination(Duration.ofSeconds(10))).isTrue();
        assertThat(loop.failure().get()).isInstanceOf(ProcessFaultException.class).hasMessageContaining("fresh process");
        assertThat(loop.health().healthy()).isFalse(); // /health reports DOWN until the process exits
        assertThat(runs.get()).isEqualTo(1); // not retried in this process
        assertThat(readAll(in + ".dlq")).isEmpty(); // not the record's fault
        assertThat(committedOrEmpty(group, in)).isEmpty(); // a fresh process redoes it
        assertThat(metrics.failed.labelValues("trainer", in, "process_fault").get()).isEqualTo(1.0);
    }

    @Test
    void aJobKnowsWhenAnUnexpectedFailureWouldBeItsRecordsLastAndTransientFailuresDoNotBringThatCloser() throws Exception {
        String in = unique("jobs");
        createTopics(1, in, in + ".dlq");
        produce(List.of(rec(in, 0, "doomed", intBytes(1))));
        List<Boolean> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger run = new AtomicInteger();
        start("trainer", unique("group"), in, Map.of("max.attempts", "3"), (r, ctx) -> {
            seen.add(ctx.finalAttempt());
            if (run.incrementAndGet() == 2) {
                throw new java.net.ConnectException("the artifact store is down"); // transient: not counted
            }
            throw new IllegalStateException("unexpected, run " + run.get());
        }, new StageMetrics());

        await("the record dead-lettered", Duration.ofSeconds(30), () -> readAll(in + ".dlq").size() == 1);
        // runs: unexpected (1 of 3), transient, unexpected (2 of 3), unexpected (3 of 3) -> dead letter
        assertThat(seen).containsExactly(false, false, false, true);
    }

    @Test
    void oneJobAtATimeAcrossPartitionsByDefaultAndEveryRecordIsServed() throws Exception {
        String in = unique("jobs");
        String out = unique("adapters");
        createTopics(3, in, out, in + ".dlq");
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            for (int i = 0; i < 2; i++) {
                records.add(rec(in, p, "p" + p + "-" + i, intBytes(150)));
            }
        }
        produce(records);
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        StageMetrics metrics = new StageMetrics();
        String group = unique("group");
        start("trainer", group, in, Map.of(), (r, ctx) -> {
            int now = concurrent.incrementAndGet();
            maxConcurrent.accumulateAndGet(now, Math::max);
            try {
                work(ctx, r.value());
            } finally {
                concurrent.decrementAndGet();
            }
            return List.of(Output.of(out, r.key(), r.key()));
        }, metrics);
        await("six adapters", Duration.ofSeconds(30), () -> values(out).size() == 6);
        assertThat(values(out)).containsExactlyInAnyOrder("p0-0", "p0-1", "p1-0", "p1-1", "p2-0", "p2-1");
        assertThat(maxConcurrent.get()).as("max.concurrent.jobs=1 holds across partitions").isEqualTo(1);
        await("all committed", Duration.ofSeconds(10), () -> committedOrEmpty(group, in).equals(Map.of(0, 2L, 1, 2L, 2, 2L)));
        assertThat(metrics.consumed.labelValues("trainer", in).get()).as("records re-read after a pause count once").isEqualTo(6.0);
    }

    @ParameterizedTest(name = "exactly once: {0}")
    @ValueSource(booleans = {false, true})
    void aTransientFailureToPublishRepublishesWithoutRerunningTheJob(boolean exactlyOnce) throws Exception {
        String in = unique("jobs");
        String out = unique("adapters");
        createTopics(1, in, out, in + ".dlq");
        produce(List.of(rec(in, 0, "req", intBytes(1))));
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger serializations = new AtomicInteger();
        // The registry is away for the first serialization of the output.
        org.apache.kafka.common.serialization.Serializer<String> flakyRegistry = (topic, value) -> {
            if (serializations.incrementAndGet() == 1) {
                throw new org.apache.kafka.common.errors.SerializationException("cannot register schema",
                        new dev.safelora.registry.RegistryUnreachableException("http://registry:8081", 3, "connection refused", null));
            }
            return value.getBytes(StandardCharsets.UTF_8);
        };
        StageMetrics metrics = new StageMetrics();
        String group = unique("group");
        StageConfig config = StageTestKit.config("trainer", group, in, work, Map.of("exactly.once", Boolean.toString(exactlyOnce)));
        LongJobLoop<Integer, String> loop = new LongJobLoop<>(config, new IntegerDeserializer(), flakyRegistry, (r, ctx) -> {
            runs.incrementAndGet();
            return List.of(Output.of(out, r.key(), "trained " + r.key()));
        }, metrics);
        loops.add(loop);
        loop.start();
        await("the adapter", Duration.ofSeconds(30), () -> values(out).size() == 1);
        assertThat(values(out)).containsExactly("trained req");
        assertThat(runs.get()).as("the job ran once; only publishing was retried").isEqualTo(1);
        assertThat(serializations.get()).isEqualTo(2);
        assertThat(metrics.failed.labelValues("trainer", in, "transient").get()).isEqualTo(1.0);
        assertThat(readAll(in + ".dlq")).isEmpty();
        await("committed", Duration.ofSeconds(10), () -> committedOrEmpty(group, in).equals(Map.of(0, 1L)));
    }

    /**
     * The real transactional producer, except that its first commit times out, as a commit does when the
     * transaction coordinator does not answer within max.block.ms. The Kafka client then only allows committing
     * again: an abort is refused ("Cannot attempt operation `abortTransaction` because the previous call to
     * `commitTransaction` timed out and must be retried", TransactionManager), which is emulated here.
     */
    private static final class FirstCommitTimesOut extends org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> {
        private final AtomicInteger commits = new AtomicInteger();
        private volatile boolean commitPending;

        FirstCommitTimesOut(Map<String, Object> properties) {
            super(properties);
        }

        @Override
        public void commitTransaction() {
            if (commits.incrementAndGet() == 1) {
                commitPending = true;
                throw new org.apache.kafka.common.errors.TimeoutException("Timeout expired after 10000ms while awaiting EndTxn(true)");
            }
            commitPending = false;
            super.commitTransaction();
        }

        @Override
        public void abortTransaction() {
            if (commitPending) {
                throw new IllegalStateException("Cannot attempt operation `abortTransaction` because the previous call to "
                        + "`commitTransaction` timed out and must be retried");
            }
            super.abortTransaction();
        }
    }

    @Test
    void aTransactionCommitThatTimesOutIsCommittedAgainNotAbortedAndTheLoopGoesOn() throws Exception {
        String in = unique("jobs");
        String out = unique("adapters");
        createTopics(1, in, out, in + ".dlq");
        produce(List.of(rec(in, 0, "req", intBytes(1))));
        AtomicInteger runs = new AtomicInteger();
        String group = unique("group");
        LongJobLoop<Integer, String> loop = startExactlyOnce(group, in, out, runs, FirstCommitTimesOut::new);
        await("the adapter or the loop's end", Duration.ofSeconds(30), () -> !values(out).isEmpty() || loop.failure().isPresent());
        assertThat(loop.failure()).isEmpty();
        assertThat(values(out)).containsExactly("trained req");
        assertThat(runs.get()).isEqualTo(1);
        await("committed", Duration.ofSeconds(10), () -> committedOrEmpty(group, in).equals(Map.of(0, 1L)));
    }

    /**
     * The real transactional producer, except that its first offsets go out with the group generation before
     * the current one: as when a rebalance completed between the loop reading the group metadata and the
     * broker checking it, and this consumer kept the partition. The broker refuses them (ILLEGAL_GENERATION).
     */
    private static final class FirstOffsetsOfAnOlderGeneration extends org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> {
        private final AtomicInteger calls = new AtomicInteger();

        FirstOffsetsOfAnOlderGeneration(Map<String, Object> properties) {
            super(properties);
        }

        @Override
        public void sendOffsetsToTransaction(Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets,
                                             org.apache.kafka.clients.consumer.ConsumerGroupMetadata group) {
            if (calls.incrementAndGet() == 1) {
                group = new org.apache.kafka.clients.consumer.ConsumerGroupMetadata(group.groupId(), group.generationId() - 1,
                        group.memberId(), group.groupInstanceId());
            }
            super.sendOffsetsToTransaction(offsets, group);
        }
    }

    @Test
    void aTransactionRefusedForAnOlderGenerationIsPublishedAgainWhenThePartitionStaysOurs() throws Exception {
        String in = unique("jobs");
        String out = unique("adapters");
        createTopics(1, in, out, in + ".dlq");
        produce(List.of(rec(in, 0, "req", intBytes(1)), rec(in, 0, "next", intBytes(1))));
        AtomicInteger runs = new AtomicInteger();
        String group = unique("group");
        LongJobLoop<Integer, String> loop = startExactlyOnce(group, in, out, runs, FirstOffsetsOfAnOlderGeneration::new);
        await("both adapters", Duration.ofSeconds(20), () -> values(out).size() == 2);
        assertThat(values(out)).containsExactly("trained req", "trained next");
        await("committed", Duration.ofSeconds(10), () -> committedOrEmpty(group, in).equals(Map.of(0, 2L)));
        assertThat(loop.failure()).isEmpty();
    }

    /** An exactly-once trainer loop on {@code in} whose job publishes "trained <key>" to {@code out}, with its own producer. */
    private LongJobLoop<Integer, String> startExactlyOnce(String group, String in, String out, AtomicInteger runs,
            java.util.function.Function<Map<String, Object>, org.apache.kafka.clients.producer.Producer<byte[], byte[]>> producers) {
        StageConfig config = StageTestKit.config("trainer", group, in, work, Map.of("exactly.once", "true"));
        LongJobLoop<Integer, String> loop = new LongJobLoop<>(config, new IntegerDeserializer(), new StringSerializer(), (r, ctx) -> {
            runs.incrementAndGet();
            return List.of(Output.of(out, r.key(), "trained " + r.key()));
        }, new StageMetrics(), Failures.standard(), StageClients.kafka().withTransactionalProducers(producers));
        loops.add(loop);
        loop.start();
        return loop;
    }

    private Double metric(String name, Map<String, String> labels) {
        try {
            return sample(StageTestKit.get(http.port(), "/metrics").body(), name, labels);
        } catch (Exception e) {
            return null;
        }
    }

    private static Map<Integer, Long> committedOrEmpty(LongJobLoop<?, ?> loop, String topic) {
        return committedOrEmpty(loop.config.groupId(), topic);
    }

    private static Map<Integer, Long> committedOrEmpty(String group, String topic) {
        try {
            return committed(group, topic);
        } catch (Exception e) {
            return Map.of();
        }
    }
}
