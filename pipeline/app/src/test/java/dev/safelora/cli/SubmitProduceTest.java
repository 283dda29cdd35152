package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.ModelRegistration;
import dev.safelora.schema.SelectionMode;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.testkit.SharedCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** {@code submit} against the in-process broker and registry (over HTTP), read back with the serde. */
class SubmitProduceTest {

    private static final Path EXAMPLES = Path.of("..", "..", "examples", "requests");
    private static final Pattern SUBMITTED =
            Pattern.compile("submitted (.+) (\\S+) to (\\S+) \\(partition (\\d+), offset (\\d+)\\)\\R");

    private record Produced(String key, SpecificRecord value) {}

    private static Produced submitAndReadBack(String kind, String file, Topic topic) {
        SharedCluster.TestCluster cluster = SharedCluster.get();
        CliRun run = CliRun.of("submit", kind, "--file", EXAMPLES.resolve(file).toString(),
                "--bootstrap-servers", cluster.bootstrapServers(), "--registry-url", cluster.registryUrl());
        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        Matcher m = SUBMITTED.matcher(run.out());
        assertThat(m.matches()).as("output %s", run.out()).isTrue();
        assertThat(m.group(3)).isEqualTo(topic.topicName());

        TopicPartition partition = new TopicPartition(topic.topicName(), Integer.parseInt(m.group(4)));
        try (HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.of(cluster.registryUrl());
             KafkaConsumer<String, SpecificRecord> consumer = new KafkaConsumer<>(
                     cluster.clientSettings().standaloneConsumerProperties(), new StringDeserializer(),
                     AvroDeserializer.specific(registry, (Class<SpecificRecord>) topic.valueClass()))) {
            consumer.assign(List.of(partition));
            consumer.seek(partition, Long.parseLong(m.group(5)));
            long deadline = System.currentTimeMillis() + 20_000;
            while (System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, SpecificRecord> record : consumer.poll(Duration.ofMillis(100))) {
                    assertThat(record.key()).isEqualTo(m.group(2));
                    return new Produced(record.key(), record.value());
                }
            }
        }
        throw new AssertionError("nothing at " + partition + " offset " + m.group(5));
    }

    @Test
    void trainingRequestIsKeyedByRequestId() {
        Produced produced = submitAndReadBack("training", "training.json", Topic.TRAINING_REQUESTS);

        TrainingRequest value = (TrainingRequest) produced.value();
        assertThat(produced.key()).isEqualTo("tiny-llama-samsum-001").isEqualTo(value.getRequestId());
        assertThat(value.getLora().getR()).isEqualTo(8);
        assertThat(value.getOptimizer().getGradientAccumulationSteps()).isEqualTo(2);
        assertThat(value.getSelection().getMode()).isEqualTo(SelectionMode.THRESHOLD);
        assertThat(value.getSelection().getThreshold()).isEqualTo(0.35);
    }

    @Test
    void registrationIsKeyedByFamily() {
        Produced produced = submitAndReadBack("registration", "registration.json", Topic.MODEL_REGISTRATIONS);

        ModelRegistration value = (ModelRegistration) produced.value();
        assertThat(produced.key()).isEqualTo("tiny-llama");
        assertThat(value.getAlignedUri()).isEqualTo("file:///var/lib/safelora/models/tiny-llama-chat");
        assertThat(value.getRegistrationId()).isNotNull();
    }

    @Test
    void selectionIsKeyedByItsTarget() {
        Produced produced = submitAndReadBack("selection", "selection-adapter.json", Topic.LAYER_SELECTIONS);

        LayerSelection value = (LayerSelection) produced.value();
        assertThat(produced.key()).isEqualTo("0cd559cc-07e2-30a8-8a6a-9f39e5134c39");
        assertThat(value.getPolicy().getLayers()).containsExactly(0, 1);
    }

    @Test
    void unreachableRegistryFailsWithOneLineAndExitOne() {
        SharedCluster.TestCluster cluster = SharedCluster.get();
        CliRun run = CliRun.of("submit", "training", "--file", EXAMPLES.resolve("training-minimal.json").toString(),
                "--bootstrap-servers", cluster.bootstrapServers(), "--registry-url", "http://127.0.0.1:9", "--timeout", "5");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("safelora: error: cannot produce to safelora.training-requests.v1 at "
                + cluster.bootstrapServers() + " (registry http://127.0.0.1:9): ")
                .contains("schema registry at http://127.0.0.1:9 unreachable after 4 attempts");
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.out()).isEmpty();
    }

    @Test
    void unreachableBrokerFailsWithinTheTimeout() {
        SharedCluster.TestCluster cluster = SharedCluster.get();
        long start = System.nanoTime();
        CliRun run = CliRun.of("submit", "training", "--file", EXAMPLES.resolve("training-minimal.json").toString(),
                "--bootstrap-servers", "127.0.0.1:9", "--registry-url", cluster.registryUrl(), "--timeout", "2");

        assertThat(run.exitCode()).isEqualTo(1);
        // --timeout bounds the connection too when it is shorter than --connect-timeout (10 s)
        assertThat(run.err()).startsWith("safelora: error: the Kafka broker at 127.0.0.1:9 could not be reached within 2 s")
                .doesNotContain("not present in metadata");
        assertThat(run.err().lines()).hasSize(1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }
}
