package dev.safelora.topics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.safelora.contracts.Topic;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates every topic of {@link Topic}, each one's {@code .dlq}, and the registry's
 * {@code _schemas}: keyed state (alignments, layer selections, {@code _schemas}) compacted, the
 * rest deleted by retention. Idempotent: topics that exist are left exactly as they are
 * (differences from the plan are reported, never "fixed": changing partitions would move keys).
 */
public final class TopicBootstrap {

    private static final long TIMEOUT_SECONDS = 60;

    /** What a run did. */
    public record Result(List<String> created, List<String> alreadyPresent, List<String> mismatches) {
        public Result {
            created = List.copyOf(created);
            alreadyPresent = List.copyOf(alreadyPresent);
            mismatches = List.copyOf(mismatches);
        }
    }

    /** The schema registry's own topic: Confluent's default name, which the in-process registry uses too. */
    public static final String SCHEMAS_TOPIC = "_schemas";

    private TopicBootstrap() {
    }

    /** Every topic the pipeline needs, in creation order. */
    public static List<TopicSpec> plan(TopicSettings settings) {
        List<TopicSpec> specs = new ArrayList<>();
        for (Topic topic : Topic.values()) {
            Map<String, String> configs = topic.compacted()
                    ? Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)
                    : withRetention(settings.retention());
            specs.add(new TopicSpec(topic.topicName(), settings.partitions(), settings.replicationFactor(), configs));
        }
        for (Topic topic : Topic.values()) {
            specs.add(new TopicSpec(topic.dlqName(), settings.partitions(), settings.replicationFactor(),
                    withRetention(settings.dlqRetention())));
        }
        specs.add(new TopicSpec(SCHEMAS_TOPIC, 1, settings.replicationFactor(),
                Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
        return specs;
    }

    private static Map<String, String> withRetention(Optional<java.time.Duration> retention) {
        Map<String, String> configs = new TreeMap<>();
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
        retention.ifPresent(r -> configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(r.toMillis())));
        return configs;
    }

    /** Creates the planned topics that are missing. */
    public static Result run(Admin admin, TopicSettings settings) {
        return apply(admin, plan(settings));
    }

    /** Creates the missing topics among {@code specs}; reports how existing ones differ from them. */
    public static Result apply(Admin admin, Collection<TopicSpec> specs) {
        try {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            List<NewTopic> toCreate = new ArrayList<>();
            List<String> created = new ArrayList<>();
            List<String> present = new ArrayList<>();
            for (TopicSpec spec : specs) {
                if (existing.contains(spec.name())) {
                    present.add(spec.name());
                } else {
                    toCreate.add(new NewTopic(spec.name(), Optional.of(spec.partitions()), spec.replicationFactor())
                            .configs(spec.configs()));
                    created.add(spec.name());
                }
            }
            if (!toCreate.isEmpty()) {
                var results = admin.createTopics(toCreate).values();
                for (var entry : results.entrySet()) {
                    try {
                        entry.getValue().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            throw new IllegalStateException("cannot create topic " + entry.getKey() + ": " + e.getCause().getMessage(), e);
                        }
                        // someone else created it meanwhile: treat as present
                        created.remove(entry.getKey());
                        present.add(entry.getKey());
                    }
                }
            }
            List<String> mismatches = present.isEmpty() ? List.of() : mismatches(admin, specs, present);
            return new Result(created, present, mismatches);
        } catch (ExecutionException e) {
            throw new IllegalStateException("topic bootstrap failed: " + e.getCause().getMessage(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("topic bootstrap timed out after " + TIMEOUT_SECONDS + " s waiting for the brokers", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during topic bootstrap", e);
        }
    }

    private static List<String> mismatches(Admin admin, Collection<TopicSpec> specs, List<String> present)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<String, TopicDescription> descriptions = admin.describeTopics(present).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        List<ConfigResource> resources = present.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        List<String> mismatches = new ArrayList<>();
        for (TopicSpec spec : specs) {
            if (!present.contains(spec.name())) {
                continue;
            }
            int partitions = descriptions.get(spec.name()).partitions().size();
            if (partitions != spec.partitions()) {
                mismatches.add(spec.name() + ": has " + partitions + " partitions, the plan says " + spec.partitions());
            }
            Config actual = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()));
            spec.configs().forEach((key, wanted) -> {
                var entry = actual.get(key);
                String value = entry == null ? null : entry.value();
                if (!wanted.equals(value)) {
                    mismatches.add(spec.name() + ": " + key + " is " + value + ", the plan says " + wanted);
                }
            });
        }
        return mismatches;
    }
}
