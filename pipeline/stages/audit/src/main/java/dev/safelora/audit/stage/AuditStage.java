package dev.safelora.audit.stage;

import dev.safelora.audit.ledger.LedgerStore;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.stage.StageConfig;
import dev.safelora.stage.StageMetrics;
import dev.safelora.stage.StageWiring;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code safelora stage audit}: consumes the pipeline's outputs and every dead-letter topic
 * ({@code read_committed}) into the audit ledger ({@link AuditSettings}: SQLite by default, PostgreSQL by URL),
 * migrating its schema first, and anchors the chain heads to {@code safelora.audit-anchors.v1}.
 */
public final class AuditStage {

    private static final Logger LOG = LoggerFactory.getLogger(AuditStage.class);

    public static final String NAME = "audit";

    public static final StageWiring WIRING = new StageWiring(AuditStage::config, AuditStage::loop);

    private AuditStage() {}

    public static StageConfig config(Path file, Map<String, String> env) {
        StageConfig config = StageConfig.load(NAME, AuditSettings.defaultTopics(), file, env);
        var unknown = config.unknownSettings(AuditSettings.KEYS);
        if (!unknown.isEmpty()) {
            LOG.warn("audit: ignoring unknown settings {}", unknown.stream().map(k -> StageConfig.PREFIX + k).toList());
        }
        return config;
    }

    public static AuditLoop loop(StageConfig config, StageMetrics metrics, Map<String, String> env) {
        AuditSettings settings = AuditSettings.of(config, env);
        int migrations = settings.database().migrate();
        LOG.info("audit: ledger {} ready ({} migrations applied)", settings.database().redacted(), migrations);
        SchemaRegistryClient registry = config.client().registryClient();
        RecordReader reader = new RecordReader(AvroDeserializer.generic(registry), Clock.systemUTC());
        AnchorPublisher anchors = null;
        if (!settings.anchorInterval().isZero()) {
            Map<String, Object> p = config.client().producerProperties();
            p.put(CommonClientConfigs.CLIENT_ID_CONFIG, "safelora-audit-anchors");
            p.put("key.serializer", ByteArraySerializer.class);
            p.put("value.serializer", ByteArraySerializer.class);
            anchors = new AnchorPublisher(new KafkaProducer<>(p), new AvroSerializer<SpecificRecord>(registry, true),
                    settings.anchorTopic(), settings.ledgerId(), settings.anchorInterval(), Clock.systemUTC());
        }
        return new AuditLoop(config, () -> new KafkaConsumer<>(consumerProperties(config)),
                () -> new LedgerStore(settings.database().connect()), reader, anchors, metrics.registry());
    }

    static Map<String, Object> consumerProperties(StageConfig config) {
        Map<String, Object> p = config.client().consumerProperties(config.groupId());
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, "safelora-audit");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        // the ledger may lag behind a topic's retention: read what is there rather than fail
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return p;
    }
}
