package dev.safelora.broker;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * How to start an {@link EmbeddedKafkaBroker}.
 *
 * @param dataDir      where the log and KRaft metadata live; reused as-is when it already holds a
 *                     formatted broker, so a restart on the same directory keeps every record
 * @param host         host name the listeners bind to and advertise
 * @param kafkaPort    client listener port, 0 picks a free one
 * @param controllerPort KRaft controller listener port, 0 picks a free one
 * @param defaultPartitions {@code num.partitions} for automatically created topics
 * @param autoCreateTopics {@code auto.create.topics.enable}
 * @param overrides    extra broker properties, applied last
 */
public record BrokerSettings(
        Path dataDir,
        String host,
        int kafkaPort,
        int controllerPort,
        int defaultPartitions,
        boolean autoCreateTopics,
        Map<String, String> overrides) {

    public BrokerSettings {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(host, "host");
        if (kafkaPort < 0 || kafkaPort > 65535 || controllerPort < 0 || controllerPort > 65535) {
            throw new IllegalArgumentException("ports must be in 0..65535, got kafka " + kafkaPort
                    + " and controller " + controllerPort);
        }
        if (defaultPartitions < 1) {
            throw new IllegalArgumentException("defaultPartitions must be at least 1, got " + defaultPartitions);
        }
        overrides = Map.copyOf(overrides);
    }

    /** Free ports, localhost, one partition per automatically created topic, no auto-creation. */
    public static BrokerSettings defaults(Path dataDir) {
        return new BrokerSettings(dataDir, "localhost", 0, 0, 1, false, Map.of());
    }

    public BrokerSettings withDefaultPartitions(int partitions) {
        return new BrokerSettings(dataDir, host, kafkaPort, controllerPort, partitions, autoCreateTopics, overrides);
    }
}
