package dev.safelora.audit.stage;

import dev.safelora.audit.ledger.LedgerEvent;
import dev.safelora.audit.ledger.LedgerStore;
import dev.safelora.registry.RegistryUnreachableException;
import dev.safelora.stage.Failures;
import dev.safelora.stage.StageConfig;
import dev.safelora.stage.StageHealth;
import dev.safelora.stage.StageLoop;
import io.prometheus.metrics.core.metrics.Counter;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit stage's loop: poll, turn the records into ledger events, store them and the new positions in
 * one database transaction. The database, not the consumer group, holds the position: on every assignment
 * the loop seeks to the stored offsets, so a crash at any point loses nothing and stores nothing twice.
 * A batch that cannot be stored (database down, registry unreachable) is read again after a backoff.
 * Offsets are also committed to Kafka after each stored batch, only so that lag monitoring sees progress.
 */
public final class AuditLoop implements StageLoop, dev.safelora.stage.StagePages {

    private static final Logger LOG = LoggerFactory.getLogger(AuditLoop.class);

    private final StageConfig config;
    private final Supplier<Consumer<byte[], byte[]>> consumers;
    private final LedgerStore.Opener stores;
    private final RecordReader reader;
    private final AnchorPublisher anchors;
    private final StageHealth health;
    private final Counter stored;
    private final Counter replays;
    private volatile boolean stopRequested;
    private volatile boolean halted;
    private volatile Throwable failure;
    private volatile Consumer<byte[], byte[]> consumer;
    private final CountDownLatch terminated = new CountDownLatch(1);

    private final dev.safelora.audit.ledger.AuditDatabase database;

    public AuditLoop(StageConfig config, Supplier<Consumer<byte[], byte[]>> consumers, dev.safelora.audit.ledger.AuditDatabase database,
                     RecordReader reader, AnchorPublisher anchors, io.prometheus.metrics.model.registry.PrometheusRegistry registry) {
        this.config = config;
        this.consumers = consumers;
        this.database = database;
        this.stores = () -> new LedgerStore(database.connect());
        this.reader = reader;
        this.anchors = anchors;
        this.health = new StageHealth(config.stageName(), config.healthStaleAfter());
        this.stored = Counter.builder().name("safelora_audit_events_stored_total")
                .help("Events written to the audit ledger").register(registry);
        this.replays = Counter.builder().name("safelora_audit_events_replayed_total")
                .help("Consumed events the ledger already held (replays), not stored again").register(registry);
    }

    /** The reports, read-only, under {@code /audit/}. */
    @Override
    public Map<String, dev.safelora.stage.StagePages.Page> pages() {
        return Map.of(dev.safelora.audit.report.AuditPages.PATH, new dev.safelora.audit.report.AuditPages(database));
    }

    @Override
    public String stageName() {
        return config.stageName();
    }

    @Override
    public StageHealth health() {
        return health;
    }

    @Override
    public Thread start() {
        Thread t = new Thread(this, "stage-" + config.stageName());
        t.start();
        return t;
    }

    @Override
    public void run() {
        try (LedgerStore store = stores.open(); Consumer<byte[], byte[]> c = consumers.get()) {
            consumer = c;
            c.subscribe(config.inputTopics(), new SeekToStored(c, store));
            LOG.info("audit: consuming {} topics into {}", config.inputTopics().size(), config.groupId());
            Duration backoff = config.retryBackoffInitial();
            while (!stopRequested) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = c.poll(config.pollTimeout());
                } catch (WakeupException e) {
                    break;
                }
                health.polled();
                if (!records.isEmpty()) {
                    if (store(c, store, records)) {
                        backoff = config.retryBackoffInitial();
                    } else {
                        sleep(backoff);
                        backoff = backoff.multipliedBy(2).compareTo(config.retryBackoffMax()) > 0 ? config.retryBackoffMax() : backoff.multipliedBy(2);
                        continue;
                    }
                }
                if (anchors != null && !halted) {
                    try {
                        anchors.maybeAnchor(store.heads());
                    } catch (Exception e) {
                        LOG.warn("audit: cannot publish chain anchors (will retry): {}", Failures.describe(e));
                    }
                }
            }
            if (anchors != null && !halted) {
                try {
                    anchors.anchor(store.heads());
                } catch (Exception e) {
                    LOG.warn("audit: cannot publish the final chain anchors: {}", Failures.describe(e));
                }
            }
        } catch (Throwable t) {
            if (!halted) {
                failure = t;
                LOG.error("audit stage failed: {}", Failures.describe(t), t);
            }
        } finally {
            if (anchors != null) {
                anchors.close();
            }
            health.stopped();
            terminated.countDown();
        }
    }

    /** Stores one batch; false when it must be read again later (the partitions were sought back). */
    private boolean store(Consumer<byte[], byte[]> c, LedgerStore store, ConsumerRecords<byte[], byte[]> records) throws SQLException {
        List<LedgerEvent> events = new ArrayList<>();
        Map<TopicPartition, Long> next = new LinkedHashMap<>();
        Map<TopicPartition, Long> first = new LinkedHashMap<>();
        try {
            for (ConsumerRecord<byte[], byte[]> r : records) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                first.putIfAbsent(tp, r.offset());
                next.put(tp, r.offset() + 1);
                reader.read(r).ifPresent(events::add);
            }
        } catch (RegistryUnreachableException e) {
            LOG.warn("audit: schema registry unreachable, retrying the batch: {}", e.getMessage());
            first.forEach(c::seek);
            return false;
        }
        if (halted) {
            return true;
        }
        try {
            int n = store.append(events, next);
            LOG.debug("audit: stored {} of {} records ({} replays)", n, records.count(), events.size() - n);
            stored.inc(n);
            replays.inc(events.size() - n);
        } catch (SQLException e) {
            LOG.warn("audit: cannot write to the ledger {}, retrying the batch: {}", "database", e.getMessage());
            for (Map.Entry<TopicPartition, Long> f : first.entrySet()) {
                long stored;
                try {
                    stored = store.head(f.getKey()).nextOffset();
                } catch (SQLException again) {
                    stored = f.getValue();
                }
                c.seek(f.getKey(), Math.max(stored, 0));
            }
            return false;
        }
        c.commitAsync(null);
        return true;
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopRequested = true;
        }
    }

    @Override
    public void shutdown() {
        stopRequested = true;
        Consumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    @Override
    public void halt() {
        halted = true;
        shutdown();
    }

    @Override
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /** On every assignment, positions come from the ledger: the stored next offset, or the beginning. */
    private static final class SeekToStored implements ConsumerRebalanceListener {
        private final Consumer<byte[], byte[]> consumer;
        private final LedgerStore store;

        SeekToStored(Consumer<byte[], byte[]> consumer, LedgerStore store) {
            this.consumer = consumer;
            this.store = store;
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            List<TopicPartition> fresh = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                try {
                    long next = store.head(tp).nextOffset();
                    if (next == 0) {
                        fresh.add(tp);
                    } else {
                        consumer.seek(tp, next);
                    }
                } catch (SQLException e) {
                    throw new IllegalStateException("cannot read the stored position of " + tp + " from the audit ledger: "
                            + e.getMessage(), e);
                }
            }
            if (!fresh.isEmpty()) {
                consumer.seekToBeginning(fresh);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // every stored batch is already committed with its positions
        }
    }
}
