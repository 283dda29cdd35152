package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.TrainingProgress;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.stage.DeadLetters;
import dev.safelora.testkit.AvroFixtures;
import dev.safelora.testkit.SharedCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class TailCommandTest {

    private final SharedCluster.TestCluster cluster = SharedCluster.get();

    private String[] args(String... extra) {
        List<String> all = new java.util.ArrayList<>(List.of("tail", "--bootstrap-servers", cluster.bootstrapServers(),
                "--registry-url", cluster.registryUrl()));
        all.addAll(List.of(extra));
        return all.toArray(String[]::new);
    }

    @Test
    void printsDecodedRecordsAsJsonLinesAndGoesOnPastUndecodableOnes() throws Exception {
        String topic = "tail-" + UUID.randomUUID();
        try (Admin admin = Admin.create(cluster.broker().clientProperties())) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        TrainingProgress progress = AvroFixtures.sample(TrainingProgress.class, 7);
        byte[] good;
        try (HttpSchemaRegistryClient registry = cluster.registryClient()) {
            good = new AvroSerializer<TrainingProgress>(registry, true).serialize(topic, progress);
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.clientSettings().producerProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "req-a", good)).get();
            ProducerRecord<String, byte[]> deadLetter = new ProducerRecord<>(topic, "req-b", new byte[] {1, 2, 3, 4, 5, 6});
            deadLetter.headers().add(DeadLetters.STAGE, "planner".getBytes(StandardCharsets.UTF_8))
                    .add(DeadLetters.SOURCE_OFFSET, "41".getBytes(StandardCharsets.UTF_8))
                    .add("other-header", "not shown".getBytes(StandardCharsets.UTF_8));
            producer.send(deadLetter).get();
            producer.send(new ProducerRecord<>(topic, "req-c", good)).get();
        }

        CliRun run = CliRun.of(args(topic, "--from-beginning", "--max", "3", "--timeout", "15"));

        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(3);
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines.get(0));
        assertThat(first.get("topic").asText()).isEqualTo(topic);
        assertThat(first.get("partition").asInt()).isZero();
        assertThat(first.get("offset").asLong()).isZero();
        assertThat(first.get("key").asText()).isEqualTo("req-a");
        JsonNode value = first.get("value");
        assertThat(value.get("requestId").asText()).isEqualTo(progress.getRequestId());
        assertThat(value.get("jobId").asText()).isEqualTo(progress.getJobId().toString());
        assertThat(value.get("phase").asText()).isEqualTo(progress.getPhase().name());
        assertThat(value.get("step").asLong()).isEqualTo(progress.getStep());
        assertThat(value.get("reportedAt").asText()).isEqualTo(progress.getReportedAt().toString());

        JsonNode bad = json.readTree(lines.get(1));
        assertThat(bad.get("offset").asLong()).isEqualTo(1);
        assertThat(bad.get("value").isNull()).isTrue();
        assertThat(bad.get("error").asText()).startsWith("unknown magic byte 0x01 on topic " + topic);
        assertThat(bad.get("valueBase64").asText()).isEqualTo("AQIDBAUG");
        assertThat(bad.get("deadLetter").get("stage").asText()).isEqualTo("planner");
        assertThat(bad.get("deadLetter").get("source.offset").asText()).isEqualTo("41");
        assertThat(bad.get("deadLetter").size()).isEqualTo(2);
        assertThat(first.has("deadLetter")).isFalse();
        assertThat(json.readTree(lines.get(2)).get("key").asText()).isEqualTo("req-c");
    }

    @Test
    void anUnreachableRegistryIsOneLineNamingItAndExitOne() throws Exception {
        String topic = "tail-noreg-" + UUID.randomUUID();
        try (Admin admin = Admin.create(cluster.broker().clientProperties())) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        byte[] good;
        try (HttpSchemaRegistryClient registry = cluster.registryClient()) {
            good = new AvroSerializer<TrainingProgress>(registry, true).serialize(topic, AvroFixtures.sample(TrainingProgress.class, 9));
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cluster.clientSettings().producerProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", good)).get();
        }
        CliRun run = CliRun.of("tail", topic, "--from-beginning", "--timeout", "15",
                "--bootstrap-servers", cluster.bootstrapServers(), "--registry-url", "http://127.0.0.1:9");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).startsWith("safelora: error: schema registry at http://127.0.0.1:9 unreachable after 4 attempts: "
                + "GET /schemas/ids/").hasLineCount(1);
    }

    @Test
    void anEmptyTopicEndsAfterTheTimeoutWithNothingPrinted() throws Exception {
        String topic = "tail-empty-" + UUID.randomUUID();
        try (Admin admin = Admin.create(cluster.broker().clientProperties())) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        }
        CliRun run = CliRun.of(args(topic, "--from-beginning", "--timeout", "1"));
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEmpty();
    }

    @Test
    void anUnknownTopicIsOneClearLineAndExitOne() {
        CliRun run = CliRun.of(args("no-such-topic-" + UUID.randomUUID().toString().substring(0, 8), "--timeout", "1"));
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).matches("safelora: error: topic 'no-such-topic-[0-9a-f]{8}' does not exist on "
                + cluster.bootstrapServers() + "\\R");
    }

    @Test
    void badOptionsAreUsageErrors() {
        CliRun run = CliRun.of(args("t", "--max", "zero"));
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("safelora: error: Invalid value for option '--max'");
        CliRun none = CliRun.of(args("t", "--max", "0"));
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).startsWith("safelora: error: --max must be at least 1, got 0 (see 'safelora tail --help')");
        CliRun noWait = CliRun.of(args("t", "--timeout", "0"));
        assertThat(noWait.exitCode()).isEqualTo(2);
        assertThat(noWait.err()).startsWith("safelora: error: --timeout must be positive");
    }
}
