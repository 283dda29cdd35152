package dev.safelora.topics;

import java.time.Duration;
import java.util.Optional;

/**
 * Sizing of the pipeline's topics.
 *
 * @param partitions        partitions of every pipeline topic and DLQ ({@code _schemas} always has one)
 * @param replicationFactor replicas per partition; empty for the broker's {@code default.replication.factor}
 * @param retention         {@code retention.ms} of the non-compacted topics; empty for the broker default
 * @param dlqRetention      {@code retention.ms} of the dead-letter topics; empty for the broker default
 */
public record TopicSettings(int partitions, Optional<Short> replicationFactor, Optional<Duration> retention,
                            Optional<Duration> dlqRetention) {

    public TopicSettings {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        replicationFactor.ifPresent(rf -> {
            if (rf < 1) {
                throw new IllegalArgumentException("replication factor must be at least 1, got " + rf);
            }
        });
    }

    /** 3 partitions; replication and retention as the broker's defaults say. */
    public static TopicSettings defaults() {
        return new TopicSettings(3, Optional.empty(), Optional.empty(), Optional.empty());
    }

    public TopicSettings withPartitions(int count) {
        return new TopicSettings(count, replicationFactor, retention, dlqRetention);
    }

    public TopicSettings withReplicationFactor(short factor) {
        return new TopicSettings(partitions, Optional.of(factor), retention, dlqRetention);
    }

    public TopicSettings withRetention(Duration topics, Duration dlqs) {
        return new TopicSettings(partitions, replicationFactor, Optional.ofNullable(topics), Optional.ofNullable(dlqs));
    }
}
