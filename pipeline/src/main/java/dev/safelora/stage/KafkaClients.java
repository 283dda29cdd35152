package dev.safelora.stage;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka client properties for a stage. Entries of {@link StageConfig#kafka()} apply to both clients,
 * except that {@code consumer.}/{@code producer.} prefixed ones apply to that client only (prefix removed);
 * they override the defaults here.
 */
final class KafkaClients {

    private KafkaClients() {}

    static Map<String, Object> consumer(StageConfig config, String clientId) {
        Map<String, Object> p = new HashMap<>();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Cooperative: a rebalance only revokes the partitions that move, so unrelated jobs keep running.
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        apply(p, config.kafka(), "consumer.", "producer.");
        return p;
    }

    static Map<String, Object> producer(StageConfig config, String clientId) {
        Map<String, Object> p = new HashMap<>();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId + "-producer");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        apply(p, config.kafka(), "producer.", "consumer.");
        return p;
    }

    private static void apply(Map<String, Object> target, Map<String, String> kafka, String mine, String theirs) {
        kafka.forEach((k, v) -> {
            if (k.startsWith(mine)) {
                target.put(k.substring(mine.length()), v);
            } else if (!k.startsWith(theirs) && !isClientSpecific(k, mine)) {
                target.put(k, v);
            }
        });
    }

    /** Unprefixed consumer-only keys are not handed to the producer (and the other way round), to avoid noise. */
    private static boolean isClientSpecific(String key, String mine) {
        boolean consumerOnly = ConsumerConfig.configNames().contains(key) && !ProducerConfig.configNames().contains(key);
        boolean producerOnly = ProducerConfig.configNames().contains(key) && !ConsumerConfig.configNames().contains(key);
        return mine.equals("producer.") ? consumerOnly : producerOnly;
    }
}
