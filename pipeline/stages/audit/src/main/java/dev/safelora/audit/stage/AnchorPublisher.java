package dev.safelora.audit.stage;

import dev.safelora.audit.ledger.ChainHead;
import dev.safelora.schema.AuditAnchor;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Publishes the chain heads that moved since the last anchor to the compacted anchors topic, keyed
 * {@code <ledger>/<topic>/<partition>}, at most once per interval. Kafka keeps the latest head of every
 * chain outside the database: whoever rewrites the database cannot rewrite what was anchored, and
 * {@code audit verify --bootstrap-servers} checks the chains against it.
 */
public final class AnchorPublisher implements AutoCloseable {

    private final Producer<byte[], byte[]> producer;
    private final Serializer<SpecificRecord> serializer;
    private final String topic;
    private final String ledgerId;
    private final Duration interval;
    private final Clock clock;
    private final Map<String, Long> anchoredSeq = new HashMap<>();
    private long lastAnchorMillis;

    public AnchorPublisher(Producer<byte[], byte[]> producer, Serializer<SpecificRecord> serializer, String topic,
                           String ledgerId, Duration interval, Clock clock) {
        this.producer = producer;
        this.serializer = serializer;
        this.topic = topic;
        this.ledgerId = ledgerId;
        this.interval = interval;
        this.clock = clock;
        this.lastAnchorMillis = clock.millis();
    }

    public static String key(String ledgerId, String topic, int partition) {
        return ledgerId + "/" + topic + "/" + partition;
    }

    /** Anchors when the interval has passed; returns how many heads were published. */
    public int maybeAnchor(List<ChainHead> heads) throws Exception {
        if (clock.millis() - lastAnchorMillis < interval.toMillis()) {
            return 0;
        }
        return anchor(heads);
    }

    /** Publishes every head that moved since its last anchor and waits until the broker has them. */
    public int anchor(List<ChainHead> heads) throws Exception {
        lastAnchorMillis = clock.millis();
        int sent = 0;
        for (ChainHead h : heads) {
            String key = key(ledgerId, h.topic(), h.partition());
            if (h.chainSeq() == 0 || anchoredSeq.getOrDefault(key, -1L) == h.chainSeq()) {
                continue;
            }
            AuditAnchor anchor = AuditAnchor.newBuilder().setLedgerId(ledgerId).setTopic(h.topic()).setPartition(h.partition())
                    .setChainSeq(h.chainSeq()).setHeadHash(h.headHash()).setNextOffset(h.nextOffset())
                    .setAnchoredAt(clock.instant()).build();
            producer.send(new ProducerRecord<>(topic, key.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    serializer.serialize(topic, anchor))).get(30, TimeUnit.SECONDS);
            anchoredSeq.put(key, h.chainSeq());
            sent++;
        }
        return sent;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
