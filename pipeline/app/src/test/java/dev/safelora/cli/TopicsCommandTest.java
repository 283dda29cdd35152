package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.time.Duration;

import dev.safelora.contracts.Topic;
import dev.safelora.testkit.SharedCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class TopicsCommandTest {

    private final SharedCluster.TestCluster cluster = SharedCluster.get();

    @Test
    void createsWhatIsMissingAndLeavesTheRest() throws Exception {
        String dropped = Topic.LAYER_SELECTIONS.topicName();
        int planned = Topic.values().length * 2 + 1;
        try (Admin admin = Admin.create(cluster.clientSettings().adminProperties())) {
            admin.deleteTopics(List.of(dropped)).all().get();
            waitUntilGone(admin, dropped);

            CliRun first = CliRun.of("topics", "create", "--partitions", "1",
                    "--bootstrap-servers", cluster.clientSettings().bootstrapServers(), "--registry-url", cluster.registryUrl());
            assertThat(first.exitCode()).as(first.err()).isZero();
            assertThat(first.out()).contains("topics: 1 created, " + (planned - 1) + " already present");

            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, dropped);
            Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(resource)).all().get();
            assertThat(configs.get(resource).get(TopicConfig.CLEANUP_POLICY_CONFIG).value())
                    .isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
        }

        CliRun again = CliRun.of("topics", "create", "--partitions", "1",
                "--bootstrap-servers", cluster.clientSettings().bootstrapServers(), "--registry-url", cluster.registryUrl());
        assertThat(again.out()).contains("topics: 0 created, " + planned + " already present");
    }

    @Test
    void withoutASubcommandIsAUsageErrorNamingTheSubcommandLikeStage() {
        CliRun run = CliRun.of("topics");
        assertThat(run.exitCode()).isEqualTo(CliRun.of("stage").exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("name a subcommand: create");
    }

    private static void waitUntilGone(Admin admin, String topic) {
        Awaitility.await(topic + " deleted").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> !admin.listTopics().names().get().contains(topic));
    }
}
