package dev.safelora.audit;

import dev.safelora.audit.ledger.AuditDatabase;
import dev.safelora.audit.ledger.LedgerEvent;
import dev.safelora.audit.ledger.LedgerStore;
import dev.safelora.audit.stage.RecordReader;
import dev.safelora.contracts.Topic;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.TrainingPhase;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * A small known ledger, written through the real reader and store: family {@code fam} with one alignment,
 * three adapter versions {@code ad-0 -> ad-1 -> ad-2} (one minute apart from {@link AuditFixtures#T0}), an
 * evaluation of each (attack success rate 0.6 -> 0.1, 0.5 -> 0.2, 0.4 -> 0.3), a failed job and an
 * undecodable record.
 */
public final class LedgerFixture {

    public static final UUID ALIGNMENT_ID = UUID.fromString("00000000-0000-0000-0000-0000000000a1");
    public static final double[][] ASR = {{0.6, 0.1}, {0.5, 0.2}, {0.4, 0.3}};

    private final AvroSerializer<SpecificRecord> serializer;
    private final RecordReader reader;
    private final List<LedgerEvent> events = new ArrayList<>();
    private final Map<TopicPartition, Long> offsets = new HashMap<>();

    private LedgerFixture(SchemaRegistryClient registry) {
        serializer = new AvroSerializer<>(registry, true);
        reader = new RecordReader(AvroDeserializer.generic(registry), Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC));
    }

    public static void write(AuditDatabase db, SchemaRegistryClient registry) throws SQLException {
        LedgerFixture f = new LedgerFixture(registry);
        f.add(Topic.ALIGNMENTS.topicName(), AuditFixtures.alignment("fam", ALIGNMENT_ID));
        String previous = null;
        for (int i = 0; i < 3; i++) {
            String id = "ad-" + i;
            Instant at = AuditFixtures.T0.plusSeconds(60L * i);
            f.add(Topic.ADAPTERS.topicName(), AuditFixtures.adapter("fam", id, previous,
                    previous == null ? LineageReason.NEW_TRAINING : LineageReason.SELECTION_CHANGED, ALIGNMENT_ID, at));
            f.add(Topic.EVALUATIONS.topicName(), AuditFixtures.evaluation("fam", id, ASR[i][0], ASR[i][1], at));
            previous = id;
        }
        f.add(Topic.TRAINING_PROGRESS.topicName(), AuditFixtures.progress("ad-9", UUID.randomUUID(), TrainingPhase.FAILED, "CUDA out of memory"));
        f.addRaw(Topic.ADAPTERS.topicName(), new byte[] {9, 9, 9, 9, 9, 9});
        db.migrate();
        try (LedgerStore store = new LedgerStore(db.connect())) {
            store.append(f.events, f.offsets);
        }
    }

    private void add(String topic, SpecificRecord value) {
        addRaw(topic, serializer.serialize(topic, value));
    }

    private void addRaw(String topic, byte[] value) {
        TopicPartition tp = new TopicPartition(topic, 0);
        long offset = offsets.getOrDefault(tp, 0L);
        offsets.put(tp, offset + 1);
        reader.read(new ConsumerRecord<>(topic, 0, offset, "k".getBytes(), value)).ifPresent(events::add);
    }
}
