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
 * Kafka client properties for a stage: the stage defaults here, overridden by the Kafka properties of its
 * {@link dev.safelora.kafka.ClientSettings} (security, timeouts...), where {@code consumer.} /
 * {@code producer.} prefixed entries apply to that client only (prefix removed). Serializers, group id and
 * auto-commit are the loop's and cannot be overridden.
 */
final class KafkaClients {

    private KafkaClients() {}

    static Map<String, Object> consumer(StageConfig config, String clientId) {
        Map<String, Object> p = new HashMap<>();
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Cooperative: a rebalance only revokes the partitions that move, so unrelated jobs keep running.
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        overlay(p, config.client().kafka(), "consumer.", "producer.", ConsumerConfig.configNames());
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.client().bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    static Map<String, Object> producer(StageConfig config, String clientId) {
        Map<String, Object> p = new HashMap<>();
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId + "-producer");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // A missing output topic or an unreachable cluster must not block the loop past its health limit.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        overlay(p, config.client().kafka(), "producer.", "consumer.", ProducerConfig.configNames());
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.client().bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    /**
     * A transactional producer for exactly-once output. The id is stable per instance ({@code safelora-<group>-<instance>},
     * the instance being {@code stage.instance.id} or else the host name), so a restarted pod aborts what its
     * predecessor left open; two processes (or two loops) of one stage on one host need their own
     * {@code stage.instance.id}, or they fence each other.
     */
    static Map<String, Object> transactionalProducer(StageConfig config, String clientId) {
        Map<String, Object> p = producer(config, clientId + "-tx");
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "safelora-" + config.groupId() + "-" + instance(config));
        return p;
    }

    /** {@code safelora-<stage>-<instance>}: the client id of a loop's clients (the producers add a suffix). */
    static String clientId(StageConfig config) {
        return "safelora-" + config.stageName() + "-" + instance(config);
    }

    /** {@code stage.instance.id}, or else the host name, as a name part (letters, digits, {@code ._-}). */
    static String instance(StageConfig config) {
        String configured = config.settings().getOrDefault("instance.id", "");
        return configured.isBlank() ? hostName() : configured.strip().replaceAll("[^A-Za-z0-9._-]", "_");
    }

    static String hostName() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "localhost";
            }
        }
        return host.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /**
     * Copies {@code kafka} into {@code target}: {@code mine}-prefixed keys without the prefix, the other
     * client's prefixed keys not at all, and unprefixed keys when this client knows them (or they are not
     * a Kafka client key at all, e.g. a plugin's), so that one client's settings do not warn in the other.
     */
    private static void overlay(Map<String, Object> target, Map<String, String> kafka, String mine, String theirs,
                                java.util.Set<String> known) {
        java.util.Set<String> any = new java.util.HashSet<>(ConsumerConfig.configNames());
        any.addAll(ProducerConfig.configNames());
        kafka.forEach((k, v) -> {
            if (k.startsWith(mine)) {
                target.put(k.substring(mine.length()), v);
            } else if (!k.startsWith(theirs) && (known.contains(k) || !any.contains(k))) {
                target.put(k, v);
            }
        });
    }
}
