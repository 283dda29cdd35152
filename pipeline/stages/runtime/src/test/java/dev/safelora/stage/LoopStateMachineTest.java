package dev.safelora.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.kafka.ClientSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.IntegerDeserializer;
import org.apache.kafka.common.serialization.IntegerSerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loops' state machines on Kafka's MockConsumer/MockProducer, driven turn by turn on the test thread
 * ({@link AbstractStageLoop#step()}): empty polls, a refused commit, a rebalance in the middle of a job, a
 * fenced transactional producer, a transaction commit the group refuses. Milliseconds each; the broker-backed
 * RecordLoopTest and LongJobLoopTest cover the same loops against a real cluster.
 */
class LoopStateMachineTest {

    private static final String IN = "in";
    private static final String OUT = "out";
    private static final TopicPartition TP = new TopicPartition(IN, 0);

    @TempDir
    Path work;

    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final MockProducer<byte[], byte[]> txProducer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());

    private StageConfig config(boolean exactlyOnce) {
        Map<String, String> p = new HashMap<>();
        p.put("topics", IN);
        p.put("group.id", "g");
        p.put("instance.id", "unit");
        p.put("work.dir", work.toString());
        p.put("metrics.port", "0");
        p.put("poll.timeout", "1ms");
        p.put("retry.backoff.initial", "1ms");
        p.put("retry.backoff.max", "2ms");
        p.put("exactly.once", Boolean.toString(exactlyOnce));
        return StageConfig.of("unit", ClientSettings.plaintext("localhost:1", "http://localhost:1"), p);
    }

    private StageClients clients(MockConsumer<byte[], byte[]> consumer) {
        return new StageClients(props -> consumer,
                props -> props.containsKey(ProducerConfig.TRANSACTIONAL_ID_CONFIG) ? txProducer : producer);
    }

    private static MockConsumer<byte[], byte[]> consumer() {
        return new MockConsumer<>("earliest");
    }

    /** Subscribes, gets partition 0 assigned, offsets 0..end known. */
    private static void assign(AbstractStageLoop<?, ?> loop, MockConsumer<byte[], byte[]> consumer, long end) {
        loop.begin();
        consumer.updateBeginningOffsets(Map.of(TP, 0L));
        consumer.updateEndOffsets(Map.of(TP, end));
        consumer.rebalance(List.of(TP));
    }

    private static ConsumerRecord<byte[], byte[]> record(long offset, int value) {
        return new ConsumerRecord<>(IN, 0, offset, ("k" + offset).getBytes(), new IntegerSerializer().serialize(IN, value));
    }

    private static Long committed(MockConsumer<byte[], byte[]> consumer) {
        OffsetAndMetadata o = consumer.committed(java.util.Set.of(TP)).get(TP);
        return o == null ? null : o.offset();
    }

    /** Turns the loop on this thread until {@code done}. */
    private static void stepUntil(String what, AbstractStageLoop<?, ?> loop, BooleanSupplier done) {
        Awaitility.await(what).atMost(Duration.ofSeconds(10)).pollInSameThread().pollInterval(Duration.ofMillis(2))
                .until(() -> {
                    loop.step();
                    return done.getAsBoolean();
                });
    }

    @Test
    void emptyPollsKeepTheLoopHealthyAndCommitNothing() {
        MockConsumer<byte[], byte[]> consumer = consumer();
        RecordLoop<Integer, String> loop = new RecordLoop<>(config(false), new IntegerDeserializer(), new StringSerializer(),
                r -> List.of(Output.of(OUT, r.key(), "x")), new StageMetrics(), Failures.standard(), clients(consumer));
        assign(loop, consumer, 0);

        for (int i = 0; i < 5; i++) {
            assertThat(loop.step()).isTrue();
        }

        assertThat(loop.health().healthy()).isTrue();
        assertThat(committed(consumer)).as("nothing consumed, nothing committed").isNull();
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void aCommitRefusedAfterARebalanceIsMadeGoodByTheNextTurnWithoutRedoingTheRecord() {
        AtomicInteger refusals = new AtomicInteger(1);
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest") {
            @Override
            public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
                if (refusals.getAndDecrement() > 0) {
                    throw new CommitFailedException();
                }
                super.commitSync(offsets);
            }
        };
        AtomicInteger handled = new AtomicInteger();
        RecordLoop<Integer, String> loop = new RecordLoop<>(config(false), new IntegerDeserializer(), new StringSerializer(),
                r -> {
                    handled.incrementAndGet();
                    return List.of(Output.of(OUT, r.key(), "seen " + r.value()));
                }, new StageMetrics(), Failures.standard(), clients(consumer));
        assign(loop, consumer, 2);
        consumer.addRecord(record(0, 7));
        consumer.addRecord(record(1, 8));

        loop.step();
        assertThat(committed(consumer)).as("the first commit was refused").isNull();
        loop.step();

        assertThat(committed(consumer)).as("the position, committed by the next turn").isEqualTo(2L);
        assertThat(handled).hasValue(2);
        assertThat(producer.history()).extracting(ProducerRecord::topic).containsExactly(OUT, OUT);
        assertThat(loop.failure()).isEmpty();
    }

    @Test
    void aPartitionRevokedMidJobCancelsTheJobCommitsNothingAndTheNextOwnerRunsItOnce() throws Exception {
        MockConsumer<byte[], byte[]> consumer = consumer();
        List<String> cancelled = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch firstStarted = new CountDownLatch(1);
        LongJobLoop<Integer, String> loop = new LongJobLoop<>(config(false), new IntegerDeserializer(), new StringSerializer(),
                (r, ctx) -> {
                    if (runs.incrementAndGet() == 1) {
                        firstStarted.countDown();
                        while (!ctx.cancelled()) {
                            Thread.onSpinWait();
                        }
                        cancelled.add(ctx.cancelReason().orElseThrow().name());
                        ctx.checkCancelled();
                    }
                    return List.of(Output.of(OUT, r.key(), "trained"));
                }, new StageMetrics(), Failures.standard(), clients(consumer));
        assign(loop, consumer, 1);
        consumer.addRecord(record(0, 1));
        loop.step();
        assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(consumer.paused()).as("paused while its job runs").containsExactly(TP);

        consumer.rebalance(List.of()); // revoked: another consumer owns the partition now
        stepUntil("the job cancelled", loop, () -> !cancelled.isEmpty());
        loop.step();

        assertThat(cancelled).containsExactly("REVOKED");
        assertThat(committed(consumer)).as("a cancelled job commits nothing").isNull();
        assertThat(producer.history()).isEmpty();

        consumer.rebalance(List.of(TP)); // back: the record is delivered again from the committed position
        consumer.addRecord(record(0, 1));
        stepUntil("the redone job committed", loop, () -> Long.valueOf(1).equals(committed(consumer)));
        assertThat(runs).hasValue(2);
        assertThat(producer.history()).singleElement().extracting(ProducerRecord::topic).isEqualTo(OUT);
    }

    @Test
    void anExactlyOnceJobCommitsItsOutputsAndItsOffsetInOneTransaction() {
        MockConsumer<byte[], byte[]> consumer = consumer();
        LongJobLoop<Integer, String> loop = new LongJobLoop<>(config(true), new IntegerDeserializer(), new StringSerializer(),
                (r, ctx) -> List.of(Output.of(OUT, r.key(), "trained")), new StageMetrics(), Failures.standard(), clients(consumer));
        assign(loop, consumer, 1);
        consumer.addRecord(record(0, 1));

        stepUntil("the transaction committed", loop, () -> txProducer.commitCount() == 1);

        assertThat(txProducer.transactionInitialized()).isTrue();
        assertThat(txProducer.history()).singleElement().extracting(ProducerRecord::topic).isEqualTo(OUT);
        assertThat(txProducer.consumerGroupOffsetsHistory()).singleElement()
                .satisfies(byGroup -> assertThat(byGroup.values()).singleElement().isEqualTo(Map.of(TP, new OffsetAndMetadata(1))));
        assertThat(producer.history()).as("nothing outside the transaction").isEmpty();
    }

    @Test
    void aTransactionTheGroupRefusesIsAbortedAndItsOutputsGoOutAgainWithoutRerunningTheJob() {
        MockConsumer<byte[], byte[]> consumer = consumer();
        AtomicInteger runs = new AtomicInteger();
        LongJobLoop<Integer, String> loop = new LongJobLoop<>(config(true), new IntegerDeserializer(), new StringSerializer(),
                (r, ctx) -> {
                    runs.incrementAndGet();
                    return List.of(Output.of(OUT, r.key(), "trained"));
                }, new StageMetrics(), Failures.standard(), clients(consumer));
        assign(loop, consumer, 1);
        txProducer.commitTransactionException = new CommitFailedException();
        consumer.addRecord(record(0, 1));

        stepUntil("the refused transaction aborted", loop, txProducer::transactionAborted);
        txProducer.commitTransactionException = null;
        stepUntil("the outputs committed", loop, () -> txProducer.commitCount() == 1);

        assertThat(runs).as("publishing again does not rerun the job").hasValue(1);
        assertThat(txProducer.history()).as("only the committed transaction's outputs").hasSize(1);
        assertThat(loop.failure()).isEmpty();
    }

    @Test
    void aFencedTransactionalProducerStopsTheLoopAndCommitsNothing() {
        MockConsumer<byte[], byte[]> consumer = consumer();
        LongJobLoop<Integer, String> loop = new LongJobLoop<>(config(true), new IntegerDeserializer(), new StringSerializer(),
                (r, ctx) -> List.of(Output.of(OUT, r.key(), "trained")), new StageMetrics(), Failures.standard(), clients(consumer));
        assign(loop, consumer, 1);
        txProducer.fenceProducer(); // a newer instance with the same transactional id took over
        consumer.addRecord(record(0, 1));

        assertThatThrownBy(() -> {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline) {
                loop.step(); // until the job is done and its transaction begins
            }
        })
                .hasRootCauseInstanceOf(org.apache.kafka.common.errors.ProducerFencedException.class)
                .hasMessageContaining("restart the stage");
        assertThat(txProducer.history()).isEmpty();
        assertThat(txProducer.consumerGroupOffsetsHistory()).isEmpty();
        assertThat(committed(consumer)).isNull();
    }
}
