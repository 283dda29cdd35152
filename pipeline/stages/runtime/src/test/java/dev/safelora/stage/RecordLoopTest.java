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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.IntegerDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The record loop on the real in-process broker. Input values are 4-byte big-endian ints read with
 * Kafka's own IntegerDeserializer, so any other length is a poison pill; outputs are strings.
 */
class RecordLoopTest {

    @TempDir Path work;
    private StageLoop loop;
    private StageHttpServer http;

    @AfterEach
    void stop() throws Exception {
        if (loop != null) {
            loop.shutdown();
            assertThat(loop.awaitTermination(Duration.ofSeconds(20))).isTrue();
        }
        if (http != null) {
            http.close();
        }
    }

    private static ProducerRecord<byte[], byte[]> rec(String topic, String key, byte[] value) {
        return new ProducerRecord<>(topic, 0, key.getBytes(StandardCharsets.UTF_8), value);
    }

    private RecordLoop<Integer, String> start(String stage, String in, RecordHandler<Integer, String> handler,
                                              StageMetrics metrics) {
        StageConfig config = StageTestKit.config(stage, unique("group"), in, work, Map.of());
        RecordLoop<Integer, String> l = new RecordLoop<>(config, new IntegerDeserializer(), new StringSerializer(), handler, metrics);
        loop = l;
        l.start();
        return l;
    }

    @Test
    void poisonPillGoesToTheDlqWithOriginalBytesAndHeadersAndTheNextRecordIsProcessed() throws Exception {
        String in = unique("in");
        String out = unique("out");
        createTopics(1, in, out, in + ".dlq");
        RecordHeaders traced = new RecordHeaders();
        traced.add("trace-id", "t-42".getBytes(StandardCharsets.UTF_8));
        produce(List.of(
                rec(in, "a", intBytes(1)),
                new ProducerRecord<>(in, 0, 1_700_000_000_000L, "bad".getBytes(StandardCharsets.UTF_8), new byte[] {7, 7, 7}, traced),
                rec(in, "c", intBytes(3))));

        StageMetrics metrics = new StageMetrics();
        http = StageHttpServer.start(0, metrics);
        start("doubler", in, r -> List.of(Output.of(out, r.key(), r.key() + "=" + 2 * r.value())), metrics);
        http.watch(loop.health());

        await("two outputs", Duration.ofSeconds(30), () -> values(out).size() == 2);
        assertThat(values(out)).containsExactly("a=2", "c=6");

        List<ConsumerRecord<byte[], byte[]>> dlq = readAll(in + ".dlq");
        assertThat(dlq).hasSize(1);
        ConsumerRecord<byte[], byte[]> dead = dlq.get(0);
        assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("bad");
        assertThat(dead.value()).containsExactly(7, 7, 7);
        assertThat(DeadLetters.header(dead.headers(), "trace-id")).isEqualTo("t-42");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.ERROR_CLASS)).isEqualTo("org.apache.kafka.common.errors.SerializationException");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.ERROR_MESSAGE)).contains("IntegerDeserializer is not 4");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.CAUSE)).isEqualTo("DESERIALIZATION");
        assertThat(DeadLetters.violations(dead.headers())).as("the dead-letter header contract").isEmpty();
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(in);
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("1");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_TIMESTAMP)).isEqualTo("1700000000000");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.STAGE)).isEqualTo("doubler");
        assertThat(DeadLetters.header(dead.headers(), DeadLetters.ATTEMPTS)).isEqualTo("1");

        await("offsets committed", Duration.ofSeconds(10), () -> safeCommitted(in).equals(Map.of(0, 3L)));

        // Metrics and health over HTTP.
        await("lag published", Duration.ofSeconds(10), () -> metric(http, "safelora_stage_consumer_lag",
                Map.of("stage", "doubler", "topic", in, "partition", "0")) != null);
        String text = StageTestKit.get(http.port(), "/metrics").body();
        assertThat(sample(text, "safelora_stage_records_consumed_total", Map.of("stage", "doubler", "topic", in))).isEqualTo(3.0);
        assertThat(sample(text, "safelora_stage_records_dead_lettered_total", Map.of("stage", "doubler", "topic", in))).isEqualTo(1.0);
        assertThat(sample(text, "safelora_stage_records_failed_total", Map.of("stage", "doubler", "topic", in, "kind", "bad_input"))).isEqualTo(1.0);
        assertThat(sample(text, "safelora_stage_outputs_published_total", Map.of("stage", "doubler", "topic", out))).isEqualTo(2.0);
        assertThat(sample(text, "safelora_stage_job_duration_seconds_count", Map.of("stage", "doubler", "topic", in, "outcome", "ok"))).isEqualTo(2.0);
        assertThat(sample(text, "safelora_stage_consumer_lag", Map.of("stage", "doubler", "topic", in, "partition", "0"))).isEqualTo(0.0);
        assertThat(sample(text, "safelora_stage_jobs_in_flight", Map.of("stage", "doubler"))).isEqualTo(0.0);

        StageTestKit.Http health = StageTestKit.get(http.port(), "/health");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"stage\":\"doubler\"");

        loop.shutdown();
        assertThat(loop.awaitTermination(Duration.ofSeconds(20))).isTrue();
        assertThat(StageTestKit.get(http.port(), "/health").status()).isEqualTo(503);
    }

    @Test
    void handlerBadInputGoesToTheDlqAndTransientFailuresAreRetriedNotDeadLettered() throws Exception {
        String in = unique("in");
        String out = unique("out");
        createTopics(1, in, out, in + ".dlq");
        produce(List.of(rec(in, "neg", intBytes(-5)), rec(in, "flaky", intBytes(10)), rec(in, "ok", intBytes(4))));

        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        StageMetrics metrics = new StageMetrics();
        start("validator", in, r -> {
            int n = calls.computeIfAbsent(r.key(), k -> new AtomicInteger()).incrementAndGet();
            if (r.value() < 0) {
                throw new BadInputException("value must not be negative, got " + r.value());
            }
            if (r.key().equals("flaky") && n <= 2) {
                throw new TransientException("artifact store unavailable (attempt " + n + ")");
            }
            return List.of(Output.of(out, r.key(), "ok:" + r.value()));
        }, metrics);

        await("two outputs", Duration.ofSeconds(30), () -> values(out).size() == 2);
        assertThat(values(out)).containsExactly("ok:10", "ok:4");
        assertThat(calls.get("flaky").get()).isEqualTo(3);
        assertThat(calls.get("neg").get()).isEqualTo(1);

        List<ConsumerRecord<byte[], byte[]>> dlq = readAll(in + ".dlq");
        assertThat(dlq).hasSize(1);
        assertThat(new String(dlq.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("neg");
        assertThat(dlq.get(0).value()).containsExactly(intBytes(-5));
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.ERROR_CLASS)).isEqualTo(BadInputException.class.getName());
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.ERROR_MESSAGE)).isEqualTo("value must not be negative, got -5");
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.CAUSE)).isEqualTo("VALIDATION");
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("0");

        assertThat(metrics.failed.labelValues("validator", in, "transient").get()).isEqualTo(2.0);
        assertThat(metrics.failed.labelValues("validator", in, "bad_input").get()).isEqualTo(1.0);
        await("offsets committed", Duration.ofSeconds(10), () -> safeCommitted(in).equals(Map.of(0, 3L)));
    }

    @Test
    void unexpectedExceptionsAreRetriedUpToMaxAttemptsThenDeadLettered() throws Exception {
        String in = unique("in");
        String out = unique("out");
        createTopics(1, in, out, in + ".dlq");
        produce(List.of(rec(in, "boom", intBytes(1)), rec(in, "fine", intBytes(2))));
        AtomicInteger boomCalls = new AtomicInteger();
        start("buggy", in, r -> {
            if (r.key().equals("boom")) {
                boomCalls.incrementAndGet();
                throw new IllegalStateException("handler bug");
            }
            return List.of(Output.of(out, r.key(), "v" + r.value()));
        }, new StageMetrics());

        await("output after the bad record", Duration.ofSeconds(30), () -> values(out).size() == 1);
        assertThat(values(out)).containsExactly("v2");
        assertThat(boomCalls.get()).isEqualTo(3);
        List<ConsumerRecord<byte[], byte[]>> dlq = readAll(in + ".dlq");
        assertThat(dlq).hasSize(1);
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.CAUSE)).isEqualTo("PROCESSING");
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.ATTEMPTS)).isEqualTo("3");
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.ERROR_CLASS)).isEqualTo("java.lang.IllegalStateException");
    }

    @Test
    void transientFailuresDoNotUseUpTheRetriesOfAnUnexpectedFailure() throws Exception {
        String in = unique("in");
        String out = unique("out");
        createTopics(1, in, out, in + ".dlq");
        produce(List.of(rec(in, "k", intBytes(1))));
        AtomicInteger calls = new AtomicInteger();
        // max.attempts is 3: the store is away for three attempts, then one unexpected failure, then success.
        start("patient", in, r -> {
            int n = calls.incrementAndGet();
            if (n <= 3) {
                throw new TransientException("artifact store unavailable (attempt " + n + ")");
            }
            if (n == 4) {
                throw new IllegalStateException("one-off glitch");
            }
            return List.of(Output.of(out, r.key(), "ok after " + n));
        }, new StageMetrics());

        await("the output or a dead letter", Duration.ofSeconds(30), () -> values(out).size() + readAll(in + ".dlq").size() > 0);
        assertThat(values(out)).containsExactly("ok after 5");
        assertThat(readAll(in + ".dlq")).as("one unexpected failure out of 3 allowed").isEmpty();
        await("offsets committed", Duration.ofSeconds(10), () -> safeCommitted(in).equals(Map.of(0, 1L)));
    }

    @Test
    void shutdownCommitsWhatIsDoneAndARestartContinuesWithoutRedoingIt() throws Exception {
        String in = unique("in");
        String out = unique("out");
        createTopics(1, in, out, in + ".dlq");
        produce(List.of(rec(in, "x", intBytes(1)), rec(in, "y", intBytes(2))));
        String group = unique("group");
        StageConfig config = StageTestKit.config("copier", group, in, work, Map.of());
        RecordHandler<Integer, String> copy = r -> List.of(Output.of(out, r.key(), "copy" + r.value()));

        RecordLoop<Integer, String> first = new RecordLoop<>(config, new IntegerDeserializer(), new StringSerializer(), copy, new StageMetrics());
        first.start();
        await("two outputs", Duration.ofSeconds(30), () -> values(out).size() == 2);
        first.shutdown();
        assertThat(first.awaitTermination(Duration.ofSeconds(20))).isTrue();
        assertThat(committed(group, in)).isEqualTo(Map.of(0, 2L));

        produce(List.of(rec(in, "z", intBytes(3))));
        loop = new RecordLoop<>(config, new IntegerDeserializer(), new StringSerializer(), copy, new StageMetrics());
        loop.start();
        await("third output", Duration.ofSeconds(30), () -> values(out).size() == 3);
        assertThat(values(out)).containsExactly("copy1", "copy2", "copy3");
    }

    @Test
    void aPartitionRetryingATransientFailureDoesNotStallTheOtherPartitions() throws Exception {
        String in = unique("in");
        String out = unique("out");
        createTopics(2, in, out, in + ".dlq");
        produce(List.of(
                new ProducerRecord<>(in, 0, "stuck".getBytes(StandardCharsets.UTF_8), intBytes(1)),
                new ProducerRecord<>(in, 1, "a".getBytes(StandardCharsets.UTF_8), intBytes(2)),
                new ProducerRecord<>(in, 1, "b".getBytes(StandardCharsets.UTF_8), intBytes(3))));
        java.util.concurrent.atomic.AtomicBoolean storeBack = new java.util.concurrent.atomic.AtomicBoolean();
        AtomicInteger stuckCalls = new AtomicInteger();
        StageConfig config = StageTestKit.config("resilient", unique("group"), in, work, Map.of());
        StageMetrics metrics = new StageMetrics();
        RecordLoop<Integer, String> l = new RecordLoop<>(config, new IntegerDeserializer(), new StringSerializer(), r -> {
            if (r.key().equals("stuck") && !storeBack.get()) {
                stuckCalls.incrementAndGet();
                throw new TransientException("artifact store down");
            }
            return List.of(Output.of(out, r.key(), r.key() + r.value()));
        }, metrics);
        try (StageProcess process = StageProcess.start(config, metrics, l)) {
            await("the healthy partition's records", Duration.ofSeconds(30), () -> values(out).size() == 2);
            assertThat(values(out)).containsExactly("a2", "b3");
            await("a few retries of the stuck one", Duration.ofSeconds(10), () -> stuckCalls.get() >= 3);
            assertThat(StageTestKit.get(process.metricsPort(), "/health").status()).isEqualTo(200);
            assertThat(readAll(in + ".dlq")).isEmpty();

            storeBack.set(true);
            await("the stuck record once the store is back", Duration.ofSeconds(10), () -> values(out).size() == 3);
            assertThat(values(out)).contains("stuck1");
            String text = StageTestKit.get(process.metricsPort(), "/metrics").body();
            assertThat(sample(text, "safelora_stage_records_failed_total", Map.of("stage", "resilient", "kind", "transient")))
                    .isEqualTo((double) stuckCalls.get());
            assertThat(sample(text, "safelora_stage_records_dead_lettered_total", Map.of("stage", "resilient"))).isNull();
            assertThat(sample(text, "safelora_stage_records_consumed_total", Map.of("stage", "resilient", "topic", in)))
                    .as("a retried record counts once").isEqualTo(3.0);
        }
        assertThat(l.awaitTermination(Duration.ZERO)).as("closing the process stopped the loop").isTrue();
        await("committed", Duration.ofSeconds(10), () -> {
            try {
                return committed(config.groupId(), in).equals(Map.of(0, 1L, 1, 2L));
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void aLoopDyingOfAnErrorStopsTheProcessWithThatError() throws Exception {
        String in = unique("in");
        String other = unique("other");
        createTopics(1, in, other, in + ".dlq", other + ".dlq");
        produce(List.of(rec(in, "k", intBytes(1))));
        StageMetrics metrics = new StageMetrics();
        StageConfig config = StageTestKit.config("fatal", unique("group"), in, work, Map.of());
        RecordLoop<Integer, String> dying = new RecordLoop<>(config, new IntegerDeserializer(), new StringSerializer(), r -> {
            throw new OutOfMemoryError("Java heap space (simulated)");
        }, metrics);
        RecordLoop<Integer, String> healthy = new RecordLoop<>(
                StageTestKit.config("bystander", unique("group"), other, work, Map.of()),
                new IntegerDeserializer(), new StringSerializer(), r -> List.of(), metrics);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StageProcess.run(config, metrics, dying, healthy))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("stage fatal failed: Java heap space (simulated)");
        assertThat(dying.failure()).containsInstanceOf(OutOfMemoryError.class);
        assertThat(healthy.awaitTermination(Duration.ZERO)).as("the other loop was shut down").isTrue();
        assertThat(healthy.failure()).isEmpty();
        assertThat(committed(config.groupId(), in)).as("nothing committed for the fatal record").isEmpty();
    }

    private Map<Integer, Long> safeCommitted(String topic) {
        try {
            return committed(((AbstractStageLoop<?, ?>) loop).config.groupId(), topic);
        } catch (Exception e) {
            return Map.of();
        }
    }

    private static Double metric(StageHttpServer http, String name, Map<String, String> labels) {
        try {
            return sample(StageTestKit.get(http.port(), "/metrics").body(), name, labels);
        } catch (Exception e) {
            return null;
        }
    }
}
