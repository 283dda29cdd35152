package dev.safelora.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.safelora.testkit.SharedCluster;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

class PlannerPartitionsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void topicsWithOneCountAgreeAndAMismatchOrAMissingTopicIsRefusedWithTheCounts() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String a = "partitions-a-" + id;
        String b = "partitions-b-" + id;
        String c = "partitions-c-" + id;
        try (Admin admin = Admin.create(SharedCluster.get().clientSettings().adminProperties())) {
            admin.createTopics(List.of(new NewTopic(a, 2, (short) 1), new NewTopic(b, 2, (short) 1), new NewTopic(c, 3, (short) 1)))
                    .all().get();
            // A created topic reaches every broker's metadata a moment later; describe only once all three are seen.
            await().atMost(TIMEOUT).ignoreExceptions()
                    .until(() -> admin.describeTopics(List.of(a, b, c)).allTopicNames().get().size() == 3);

            assertThat(PlannerPartitions.common(admin, List.of(a, b), TIMEOUT)).isEqualTo(2);
            assertThatThrownBy(() -> PlannerPartitions.common(admin, List.of(a, b, c), TIMEOUT))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("same number of partitions")
                    .hasMessageContaining(a + "=2").hasMessageContaining(c + "=3");
            assertThatThrownBy(() -> PlannerPartitions.common(admin, List.of(a, "no-such-topic-" + id), TIMEOUT))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("safelora topics create");
        }
    }
}
