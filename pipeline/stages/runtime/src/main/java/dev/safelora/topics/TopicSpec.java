package dev.safelora.topics;

import java.util.Map;
import java.util.Optional;

/** One topic as the bootstrap wants it: name, size and topic-level configs (e.g. {@code cleanup.policy}). */
public record TopicSpec(String name, int partitions, Optional<Short> replicationFactor, Map<String, String> configs) {
    public TopicSpec {
        configs = Map.copyOf(configs);
    }

    public boolean compacted() {
        return "compact".equals(configs.get("cleanup.policy"));
    }
}
