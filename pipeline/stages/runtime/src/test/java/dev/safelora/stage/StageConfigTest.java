package dev.safelora.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageConfigTest {

    @TempDir Path tmp;

    @Test
    void fileThenEnvironmentWithClusterSettingsSeparatedFromStageKeys() throws Exception {
        Path file = Files.writeString(tmp.resolve("trainer.properties"), """
                bootstrap.servers=kafka-1:9093
                security.protocol=SASL_SSL
                consumer.max.poll.interval.ms=600000
                stage.group.id=trainers-eu
                stage.metrics.port=9500
                stage.shutdown.deadline=2m
                stage.max.concurrent.jobs=2
                stage.gpu.index=1
                """);
        Map<String, String> env = Map.of(
                "SAFELORA_METRICS_PORT", "0",
                "SAFELORA_WORK_DIR", "/var/lib/safelora",
                "SAFELORA_REGISTRY_URL", "http://registry:8081",
                "SAFELORA_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "SAFELORA_KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "SAFELORA_SHUTDOWN_DEADLINE", "PT90S");
        StageConfig c = StageConfig.load("trainer", List.of("safelora.training-jobs.v1"), file, env);

        assertThat(c.stageName()).isEqualTo("trainer");
        assertThat(c.groupId()).isEqualTo("trainers-eu");
        assertThat(c.inputTopics()).containsExactly("safelora.training-jobs.v1");
        assertThat(c.metricsPort()).isZero();
        assertThat(c.workDir()).isEqualTo(Path.of("/var/lib/safelora"));
        assertThat(c.shutdownDeadline()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.maxConcurrentJobs()).isEqualTo(2);
        assertThat(c.pollTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.settings()).containsEntry("gpu.index", "1");
        assertThat(c.client().bootstrapServers()).isEqualTo("kafka-1:9093");
        assertThat(c.client().registry().url()).isEqualTo("http://registry:8081");
        assertThat(c.client().kafka()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("consumer.max.poll.interval.ms", "600000")
                .doesNotContainKeys("stage.group.id", "stage.gpu.index");

        Map<String, Object> consumer = KafkaClients.consumer(c, "t");
        assertThat(consumer).containsEntry("bootstrap.servers", "kafka-1:9093")
                .containsEntry("group.id", "trainers-eu")
                .containsEntry("max.poll.interval.ms", "600000")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("enable.auto.commit", false)
                .doesNotContainKey("consumer.max.poll.interval.ms");
        Map<String, Object> producer = KafkaClients.producer(c, "t");
        assertThat(producer).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("acks", "all")
                .doesNotContainKeys("max.poll.interval.ms", "consumer.max.poll.interval.ms", "group.id");
    }

    @Test
    void settingsNoPartOfTheStageReadsAreReportedAsUnknown() throws Exception {
        Path file = Files.writeString(tmp.resolve("typo.properties"), """
                stage.artifact.uri=s3://bucket/typo
                stage.device=cuda
                stage.poll.timeout=1s
                """);
        StageConfig c = StageConfig.load("trainer", List.of("jobs"), file, Map.of("SAFELORA_INSTANCE_ID", "gpu0"));
        assertThat(c.unknownSettings(List.of("device"))).containsExactly("artifact.uri");
        assertThat(c.unknownSettings(List.of())).containsExactly("artifact.uri", "device");
    }

    @Test
    void theArtifactsRootComesFromTheEnvironmentOrTheWorkDirectory() {
        // The planner derives outputUri from it and the workers write under it: one setting for both.
        Map<String, String> env = Map.of("SAFELORA_ARTIFACTS_URI", "s3://models/safelora", "SAFELORA_WORK_DIR", "/var/lib/sl");
        assertThat(StageConfig.load("planner", List.of("t"), null, env).artifactsRoot()).hasToString("s3://models/safelora");
        assertThat(StageConfig.load("trainer", List.of("t"), null, Map.of("SAFELORA_WORK_DIR", "/var/lib/sl")).artifactsRoot())
                .hasToString("file:///var/lib/sl/artifacts");
        assertThatThrownBy(() -> StageConfig.load("trainer", List.of("t"), null, Map.of("SAFELORA_ARTIFACTS_URI", "relative/dir")).artifactsRoot())
                .hasMessageContaining("needs a scheme");
    }

    @Test
    void shutdownBudgetIsDeadlinePlusCancelGracePlusCloseSlack() {
        // defaults: 60 s + 10 s + 10 s
        assertThat(StageConfig.load("projector", List.of("t"), null, Map.of()).shutdownBudget()).isEqualTo(Duration.ofSeconds(80));
        // the trainer's settings in k8s/trainer.yaml: 30 s + 120 s + 10 s
        assertThat(StageConfig.load("trainer", List.of("t"), null,
                Map.of("SAFELORA_SHUTDOWN_DEADLINE", "30s", "SAFELORA_SHUTDOWN_CANCEL_GRACE", "2m")).shutdownBudget())
                .isEqualTo(Duration.ofSeconds(160));
    }

    @Test
    void defaultsWithoutFile() {
        StageConfig c = StageConfig.load("alignment", List.of("a", "b"), null, Map.of());
        assertThat(c.groupId()).isEqualTo("safelora-alignment");
        assertThat(c.inputTopics()).containsExactly("a", "b");
        assertThat(c.metricsPort()).isEqualTo(9404);
        assertThat(c.shutdownDeadline()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.maxAttempts()).isEqualTo(3);
        assertThat(c.client().bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(c.exactlyOnce()).isFalse();
        assertThat(StageConfig.load("x", List.of("a"), null, Map.of("SAFELORA_TOPICS", " c , d ")).inputTopics()).containsExactly("c", "d");
        assertThat(StageConfig.load("x", List.of("a"), null, Map.of("SAFELORA_EXACTLY_ONCE", "true")).exactlyOnce()).isTrue();
        assertThat(c.withExactlyOnce(true).exactlyOnce()).isTrue();
        assertThat(c.exactlyOnceUnlessSet().exactlyOnce()).as("not set: on").isTrue();
        assertThat(StageConfig.load("x", List.of("a"), null, Map.of("SAFELORA_EXACTLY_ONCE", "false")).exactlyOnceUnlessSet().exactlyOnce())
                .as("set to false: stays off").isFalse();
        assertThat(c.withInputTopics(List.of("z")).inputTopics()).containsExactly("z");
        assertThat(c.withMetricsPort(0).metricsPort()).isZero();
    }

    @Test
    void badValuesNameTheKey() {
        assertThatThrownBy(() -> StageConfig.load("s", List.of("t"), null, Map.of("SAFELORA_METRICS_PORT", "abc")))
                .hasMessage("stage.metrics.port must be a whole number, got 'abc'");
        assertThatThrownBy(() -> StageConfig.load("s", List.of("t"), null, Map.of("SAFELORA_METRICS_PORT", "70000")))
                .hasMessageContaining("must be 0..65535, got 70000");
        assertThatThrownBy(() -> StageConfig.load("s", List.of("t"), null, Map.of("SAFELORA_SHUTDOWN_DEADLINE", "soon")))
                .hasMessage("stage.shutdown.deadline must be a duration like 250ms, 30s, 5m or PT1M, got 'soon'");
        assertThatThrownBy(() -> StageConfig.load("s", List.of("t"), null, Map.of("SAFELORA_EXACTLY_ONCE", "maybe")))
                .hasMessage("stage.exactly.once must be true or false, got 'maybe'");
        assertThatThrownBy(() -> StageConfig.load("s", List.of(), null, Map.of()))
                .hasMessageContaining("stage.topics (SAFELORA_TOPICS) must name at least one topic");
        assertThatThrownBy(() -> StageConfig.load("s", List.of("t"), tmp.resolve("missing.properties"), Map.of()))
                .hasMessageContaining("missing.properties");
    }

    @Test
    void theRecordLoopRefusesExactlyOnceRatherThanIgnoringIt() {
        StageConfig c = StageConfig.load("alignment", List.of("a"), null, Map.of("SAFELORA_EXACTLY_ONCE", "true"));
        assertThatThrownBy(() -> new RecordLoop<>(c, new org.apache.kafka.common.serialization.IntegerDeserializer(),
                new org.apache.kafka.common.serialization.StringSerializer(), r -> List.of(), new StageMetrics()))
                .hasMessageContaining("stage.exactly.once is supported by the long-job loop only");
    }

    @Test
    void durations() {
        assertThat(StageConfig.parseDuration("k", "250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(StageConfig.parseDuration("k", "30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(StageConfig.parseDuration("k", "5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(StageConfig.parseDuration("k", "2h")).isEqualTo(Duration.ofHours(2));
        assertThat(StageConfig.parseDuration("k", "1d")).isEqualTo(Duration.ofDays(1));
        assertThat(StageConfig.parseDuration("k", "1500")).isEqualTo(Duration.ofMillis(1500));
        assertThat(StageConfig.parseDuration("k", "pt1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> StageConfig.parseDuration("k", "")).hasMessageContaining("k must be a duration");
        assertThatThrownBy(() -> StageConfig.parseDuration("k", "5 parsecs")).hasMessageContaining("'5 parsecs'");
    }
}
