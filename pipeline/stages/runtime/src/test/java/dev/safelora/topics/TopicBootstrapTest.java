package dev.safelora.topics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.safelora.broker.BrokerSettings;
import dev.safelora.broker.EmbeddedKafkaBroker;
import dev.safelora.contracts.Topic;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On a broker of its own: the test needs to see the very first run. */
class TopicBootstrapTest {

    @TempDir
    static Path dir;
    private static EmbeddedKafkaBroker broker;
    private static Admin admin;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.start(BrokerSettings.defaults(dir));
        admin = Admin.create(broker.clientProperties());
    }

    @AfterAll
    static void stop() {
        admin.close();
        broker.close();
    }

    @Test
    void createsEveryTopicOnceWithItsConfigsAndASecondRunChangesNothing() throws Exception {
        TopicSettings settings = TopicSettings.defaults().withPartitions(2).withReplicationFactor((short) 1)
                .withRetention(Duration.ofDays(3), Duration.ofDays(14));
        List<String> expected = new java.util.ArrayList<>(Topic.allTopicNames());
        expected.add("_schemas");

        TopicBootstrap.Result first = TopicBootstrap.run(admin, settings);
        assertThat(first.created()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(first.alreadyPresent()).isEmpty();
        Map<String, Map<String, String>> configsAfterFirst = configs(expected);
        Map<String, Integer> partitionsAfterFirst = partitions(expected);

        TopicBootstrap.Result second = TopicBootstrap.run(admin, settings);
        assertThat(second.created()).isEmpty();
        assertThat(second.alreadyPresent()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(second.mismatches()).isEmpty();
        assertThat(configs(expected)).isEqualTo(configsAfterFirst);
        assertThat(partitions(expected)).isEqualTo(partitionsAfterFirst);

        // keyed state is compacted, events and DLQs are deleted by retention
        Map<String, String> policy = configsAfterFirst.entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get("cleanup.policy")));
        assertThat(policy.get("safelora.alignments.v1")).isEqualTo("compact");
        assertThat(policy.get("safelora.layer-selections.v1")).isEqualTo("compact");
        assertThat(policy.get("_schemas")).isEqualTo("compact");
        assertThat(policy.get("safelora.audit-anchors.v1")).isEqualTo("compact");
        for (String name : List.of("safelora.model-registrations.v1", "safelora.training-requests.v1",
                "safelora.training-jobs.v1", "safelora.projection-jobs.v1", "safelora.training-progress.v1",
                "safelora.adapters.v1", "safelora.evaluations.v1", "safelora.alignments.v1.dlq")) {
            assertThat(policy.get(name)).as(name).isEqualTo("delete");
        }
        assertThat(configsAfterFirst.get("safelora.training-requests.v1").get("retention.ms"))
                .isEqualTo(Long.toString(Duration.ofDays(3).toMillis()));
        assertThat(configsAfterFirst.get("safelora.training-requests.v1.dlq").get("retention.ms"))
                .isEqualTo(Long.toString(Duration.ofDays(14).toMillis()));
        assertThat(partitionsAfterFirst.get("safelora.training-jobs.v1")).isEqualTo(2);
        assertThat(partitionsAfterFirst.get("_schemas")).isEqualTo(1);
    }

    @Test
    void differencesFromThePlanAreReportedNotChanged() throws Exception {
        TopicSpec spec = new TopicSpec("bootstrap-mismatch", 1, java.util.Optional.of((short) 1), Map.of("cleanup.policy", "delete"));
        TopicBootstrap.apply(admin, List.of(spec));
        TopicSpec wanted = new TopicSpec("bootstrap-mismatch", 4, java.util.Optional.of((short) 1), Map.of("cleanup.policy", "compact"));
        TopicBootstrap.Result result = TopicBootstrap.apply(admin, List.of(wanted));
        assertThat(result.created()).isEmpty();
        assertThat(result.mismatches()).containsExactlyInAnyOrder(
                "bootstrap-mismatch: has 1 partitions, the plan says 4",
                "bootstrap-mismatch: cleanup.policy is delete, the plan says compact");
        assertThat(partitions(List.of("bootstrap-mismatch")).get("bootstrap-mismatch")).isEqualTo(1);
    }

    private static Map<String, Map<String, String>> configs(List<String> names) throws Exception {
        Map<ConfigResource, Config> all = admin.describeConfigs(names.stream()
                .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList()).all().get();
        return all.entrySet().stream().collect(Collectors.toMap(e -> e.getKey().name(),
                e -> e.getValue().entries().stream().filter(c -> c.value() != null)
                        .collect(Collectors.toMap(c -> c.name(), c -> c.value()))));
    }

    private static Map<String, Integer> partitions(List<String> names) throws Exception {
        Map<String, TopicDescription> all = admin.describeTopics(names).allTopicNames().get();
        return all.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().partitions().size()));
    }
}
