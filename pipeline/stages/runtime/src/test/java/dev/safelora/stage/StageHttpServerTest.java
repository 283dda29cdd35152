package dev.safelora.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageHttpServerTest {

    @Test
    void healthFollowsPollingAndStalenessOfEveryWatchedLoop() throws Exception {
        StageMetrics metrics = new StageMetrics();
        try (StageHttpServer http = StageHttpServer.start(0, metrics)) {
            assertThat(http.port()).isPositive();
            assertThat(StageTestKit.get(http.port(), "/health").status()).as("nothing watched yet").isEqualTo(503);

            StageHealth fast = new StageHealth("planner", Duration.ofMillis(300));
            StageHealth steady = new StageHealth("trainer", Duration.ofSeconds(30));
            http.watch(fast);
            http.watch(steady);
            StageTestKit.Http before = StageTestKit.get(http.port(), "/health");
            assertThat(before.status()).isEqualTo(503);
            assertThat(before.body()).contains("{\"stage\":\"planner\",\"healthy\":false,\"lastPollAgeMs\":-1}");

            fast.polled();
            steady.polled();
            StageTestKit.Http up = StageTestKit.get(http.port(), "/health");
            assertThat(up.status()).isEqualTo(200);
            assertThat(up.body()).startsWith("{\"status\":\"UP\"");

            StageTestKit.Http stale = org.awaitility.Awaitility.await("the planner's last poll goes stale").atMost(Duration.ofSeconds(10))
                    .until(() -> StageTestKit.get(http.port(), "/health"), r -> r.status() == 503);
            assertThat(stale.status()).as("planner stopped polling").isEqualTo(503);
            assertThat(stale.body()).contains("\"stage\":\"planner\",\"healthy\":false").contains("\"stage\":\"trainer\",\"healthy\":true");

            fast.polled();
            assertThat(StageTestKit.get(http.port(), "/health").status()).isEqualTo(200);
            steady.stopped();
            assertThat(StageTestKit.get(http.port(), "/health").status()).as("a stopped loop").isEqualTo(503);
        }
    }

    @Test
    void metricsAreServedInPrometheusTextFormat() throws Exception {
        StageMetrics metrics = new StageMetrics();
        metrics.consumed.labelValues("alignment", "safelora.model-registrations.v1").inc(2);
        metrics.lag.labelValues("alignment", "safelora.model-registrations.v1", "3").set(17);
        metrics.observeDuration("alignment", "safelora.model-registrations.v1", "ok", Duration.ofMillis(700));
        try (StageHttpServer http = StageHttpServer.start(0, metrics)) {
            StageTestKit.Http r = StageTestKit.get(http.port(), "/metrics");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).contains("# TYPE safelora_stage_records_consumed_total counter");
            Map<String, String> labels = Map.of("stage", "alignment", "topic", "safelora.model-registrations.v1");
            assertThat(StageTestKit.sample(r.body(), "safelora_stage_records_consumed_total", labels)).isEqualTo(2.0);
            assertThat(StageTestKit.sample(r.body(), "safelora_stage_consumer_lag",
                    Map.of("stage", "alignment", "partition", "3"))).isEqualTo(17.0);
            assertThat(StageTestKit.sample(r.body(), "safelora_stage_job_duration_seconds_bucket",
                    Map.of("outcome", "ok", "le", "0.5"))).isEqualTo(0.0);
            assertThat(StageTestKit.sample(r.body(), "safelora_stage_job_duration_seconds_bucket",
                    Map.of("outcome", "ok", "le", "1.0"))).isEqualTo(1.0);
            assertThat(StageTestKit.sample(r.body(), "safelora_stage_job_duration_seconds_sum",
                    Map.of("outcome", "ok"))).isEqualTo(0.7);
        }
    }
}
