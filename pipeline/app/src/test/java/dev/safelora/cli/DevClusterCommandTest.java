package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.TrainingProgress;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.testkit.AvroFixtures;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DevClusterCommandTest {

    @TempDir
    Path dataDir;

    private record Running(DevClusterCommand command, Future<Integer> exit, StringWriter out) {
        String bootstrap() {
            return find("export SAFELORA_BOOTSTRAP_SERVERS=(\\S+)");
        }

        String registry() {
            return find("export SAFELORA_REGISTRY_URL=(\\S+)");
        }

        private String find(String regex) {
            Matcher m = Pattern.compile(regex).matcher(out.toString());
            assertThat(m.find()).as(out.toString()).isTrue();
            return m.group(1);
        }

        int stop() throws Exception {
            command.stop();
            return exit.get(60, TimeUnit.SECONDS);
        }
    }

    private Running start(ExecutorService executor) throws Exception {
        return startWith(executor, "--data-dir", dataDir.toString());
    }

    private Running startWith(ExecutorService executor, String... dataOptions) throws Exception {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        DevClusterCommand command = (DevClusterCommand) cli.getSubcommands().get("dev-cluster").getCommand();
        List<String> args = new java.util.ArrayList<>(List.of("dev-cluster", "--kafka-port", "0", "--registry-port", "0",
                "--partitions", "2"));
        args.addAll(List.of(dataOptions));
        Future<Integer> exit = executor.submit(() -> cli.execute(args.toArray(String[]::new)));
        command.awaitReady();
        if (!out.toString().contains("Press Ctrl-C to stop.")) {
            throw new AssertionError("dev-cluster ended instead of starting, exit " + exit.get(60, TimeUnit.SECONDS) + "; it printed: " + out);
        }
        return new Running(command, exit, out);
    }

    @Test
    void startsEverythingPrintsWhereAndKeepsDataAcrossARestart() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            String topic = Topic.TRAINING_PROGRESS.topicName();
            TrainingProgress progress = AvroFixtures.sample(TrainingProgress.class, 11);
            Running first = start(executor);
            String printed = first.out().toString();
            assertThat(printed).contains("Kafka broker:", "Schema registry: " + first.registry(),
                    "Topics:          " + (2 * Topic.values().length + 1) + " created, 0 already present",
                    "Schemas:         " + Topic.values().length + " registered under <topic>-value, 0 already registered",
                    "Press Ctrl-C to stop.");
            try (HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.of(first.registry())) {
                for (Topic t : Topic.values()) {
                    assertThat(registry.latest(t.topicName() + "-value").schema()).as(t.topicName()).isEqualTo(t.valueSchema());
                }
                assertThat(registry.subjects()).as("no subject for a dead-letter topic").hasSize(Topic.values().length);
            }
            int id;
            try (HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.of(first.registry());
                 KafkaProducer<String, TrainingProgress> producer = new KafkaProducer<>(
                         java.util.Map.of("bootstrap.servers", first.bootstrap()), new StringSerializer(),
                         new AvroSerializer<>(registry, true))) {
                producer.send(new ProducerRecord<>(topic, "req-1", progress)).get();
                id = registry.latest(topic + "-value").id();
            }
            try (Admin admin = Admin.create(java.util.Map.of("bootstrap.servers", first.bootstrap()))) {
                assertThat(admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()).hasSize(2);
            }
            assertThat(first.stop()).isZero();
            int port = Integer.parseInt(first.bootstrap().substring(first.bootstrap().lastIndexOf(':') + 1));
            try (ServerSocket socket = new ServerSocket(port)) {
                assertThat(socket.getLocalPort()).as("the broker released its port").isEqualTo(port);
            }

            Running second = start(executor);
            assertThat(second.out().toString()).contains("0 created, " + (2 * Topic.values().length + 1) + " already present",
                    "Schemas:         0 registered under <topic>-value, " + Topic.values().length + " already registered");
            try (HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.of(second.registry())) {
                assertThat(registry.latest(topic + "-value").id()).isEqualTo(id);
            }
            CliRun tail = CliRun.of("tail", topic, "--from-beginning", "--max", "1", "--timeout", "20",
                    "--bootstrap-servers", second.bootstrap(), "--registry-url", second.registry());
            assertThat(tail.exitCode()).as(tail.err()).isZero();
            assertThat(tail.out()).contains("\"key\":\"req-1\"", "\"requestId\":\"" + progress.getRequestId() + "\"");
            assertThat(second.stop()).isZero();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void withoutADataDirTheTemporaryOneIsDeletedOnStop() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Running running = startWith(executor, "--registry-bind", "127.0.0.1");
            assertThat(running.registry()).as("--registry-bind").startsWith("http://127.0.0.1:");
            Path temporary = Path.of(running.find("\\(data in (\\S+), deleted on exit\\)"));
            assertThat(temporary).isDirectory().isNotEqualTo(dataDir);

            assertThat(running.stop()).isZero();

            assertThat(temporary).doesNotExist();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void topicsCreateRegistersEverySubjectOnceAndLeavesAnIncompatibleOneAsItIs() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Running running = startWith(executor, "--no-register");
            assertThat(running.out().toString()).doesNotContain("Schemas:");
            String requests = Topic.TRAINING_REQUESTS.topicName() + "-value";
            Schema foreign = SchemaBuilder.record("TrainingRequest").namespace("other.team").fields().requiredInt("priority").endRecord();
            try (HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.of(running.registry())) {
                assertThat(registry.subjects()).as("--no-register").isEmpty();
                registry.register(requests, foreign);
            }
            String[] create = {"topics", "create", "--partitions", "2", "--bootstrap-servers", running.bootstrap(),
                "--registry-url", running.registry()};

            CliRun first = CliRun.of(create);
            CliRun again = CliRun.of(create);

            int others = Topic.values().length - 1;
            assertThat(first.exitCode()).as(first.err()).isEqualTo(1);
            assertThat(first.out()).contains("schemas: " + others + " registered, 0 already registered");
            assertThat(first.err()).startsWith("incompatible schema in the registry (left unchanged): " + requests + ": ");
            assertThat(again.exitCode()).isEqualTo(1);
            assertThat(again.out()).contains("schemas: 0 registered, " + others + " already registered");
            try (HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.of(running.registry())) {
                assertThat(registry.versions(requests)).containsExactly(1);
                assertThat(registry.latest(requests).schema()).isEqualTo(foreign);
                for (Topic t : Topic.values()) {
                    if (t != Topic.TRAINING_REQUESTS) {
                        assertThat(registry.versions(t.topicName() + "-value")).as(t.topicName()).containsExactly(1);
                        assertThat(registry.latest(t.topicName() + "-value").schema()).isEqualTo(t.valueSchema());
                    }
                }
            }
            CliRun skipped = CliRun.of("topics", "create", "--partitions", "2", "--bootstrap-servers", running.bootstrap(),
                    "--registry-url", "http://localhost:1", "--no-register");
            assertThat(skipped.exitCode()).as("--no-register never asks the registry").isZero();
            assertThat(skipped.out()).doesNotContain("schemas:");
            assertThat(running.stop()).isZero();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void impossibleOptionValuesAreUsageErrors() {
        CliRun port = CliRun.of("dev-cluster", "--data-dir", dataDir.toString(), "--kafka-port", "-5");
        assertThat(port.exitCode()).isEqualTo(2);
        assertThat(port.err()).startsWith("safelora: error: --kafka-port must be in 0..65535, got -5 (see 'safelora dev-cluster --help')");
        CliRun partitions = CliRun.of("dev-cluster", "--data-dir", dataDir.toString(), "--partitions", "0");
        assertThat(partitions.exitCode()).isEqualTo(2);
        assertThat(partitions.err()).startsWith("safelora: error: --partitions must be at least 1, got 0");
        CliRun topics = CliRun.of("topics", "create", "--bootstrap-servers", "localhost:1", "--partitions", "0");
        assertThat(topics.exitCode()).isEqualTo(2);
        assertThat(topics.err()).contains("partitions must be at least 1").contains("see 'safelora topics create --help'");
    }

    @Test
    void aBusyPortIsOneClearLine() throws Exception {
        try (ServerSocket busy = new ServerSocket(0)) {
            CliRun run = CliRun.of("dev-cluster", "--data-dir", dataDir.toString(), "--kafka-port",
                    Integer.toString(busy.getLocalPort()));
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).isEqualTo("safelora: error: Kafka port " + busy.getLocalPort()
                    + " on localhost is already in use (another dev-cluster?); pick another with --kafka-port N, or 0 for a free one"
                    + System.lineSeparator());
        }
    }
}
