package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.broker.BrokerSettings;
import dev.safelora.broker.EmbeddedKafkaBroker;
import dev.safelora.testkit.SharedCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands that talk to Kafka themselves (submit, tail, topics create, audit verify --anchors) against a broker
 * that was stopped: one line naming the bootstrap servers, exit 1, within --connect-timeout.
 */
class UnreachableClusterTest {

    private static final Path REQUEST = Path.of("..", "..", "examples", "requests", "training-minimal.json");

    @TempDir
    Path dir;

    /** A broker that ran on this address and was stopped: nothing listens there any more. */
    private String stoppedBroker() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerSettings.defaults(dir.resolve("stopped")));
        String bootstrap = broker.bootstrapServers();
        broker.close();
        return bootstrap;
    }

    @Test
    void everyCommandThatTalksToKafkaNamesTheStoppedBrokerInOneLineWithinTheConnectTimeout() {
        Path ledger = dir.resolve("audit.db");
        dev.safelora.audit.ledger.AuditDatabase.of("jdbc:sqlite:" + ledger).migrate(); // an empty ledger: its chains hold
        String bootstrap = stoppedBroker();
        String registry = "http://127.0.0.1:9"; // never asked: the broker is
        String expected = "safelora: error: the Kafka broker at " + bootstrap + " could not be reached within 1 s";
        String[][] commands = {
            {"submit", "training", "--file", REQUEST.toString()},
            {"tail", "safelora.training-requests.v1", "--from-beginning"},
            {"topics", "create", "--partitions", "1"},
            {"audit", "verify", "--anchors", "--jdbc-url", "jdbc:sqlite:" + ledger},
        };
        for (String[] command : commands) {
            String[] args = concat(command, "--bootstrap-servers", bootstrap, "--registry-url", registry, "--connect-timeout", "1");
            Timed<CliRun> run = Timed.of(() -> CliRun.of(args));
            assertThat(run.value().exitCode()).as(String.join(" ", command) + ": " + run.value().err()).isEqualTo(1);
            assertThat(run.value().err()).as(command[0]).startsWith(expected);
            assertThat(run.value().err().lines()).as(command[0]).hasSize(1);
            assertThat(run.value().out()).as(command[0]).isEmpty();
            // 1 s to connect; the rest is the JVM's own work, with room for a loaded machine (the Kafka clients alone waited 30-60 s)
            assertThat(run.elapsed()).as(command[0]).isLessThan(Duration.ofSeconds(15));
        }
    }

    @Test
    void submitToABrokerWithoutTheTopicSaysSoInsteadOfAMetadataTimeout() {
        try (EmbeddedKafkaBroker bare = EmbeddedKafkaBroker.start(BrokerSettings.defaults(dir.resolve("bare")))) {
            CliRun run = CliRun.of("submit", "training", "--file", REQUEST.toString(), "--timeout", "2",
                    "--bootstrap-servers", bare.bootstrapServers(), "--registry-url", SharedCluster.get().registryUrl());
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).startsWith("safelora: error: cannot produce to safelora.training-requests.v1 at " + bare.bootstrapServers())
                    .contains("the topic does not exist and the broker did not create it within 2 s (create it with `safelora topics create`)")
                    .doesNotContain("not present in metadata");
            assertThat(run.err().lines()).hasSize(1);
        }
    }

    @Test
    void aBrokerThatRefusesTheClientsCredentialsIsNamedWithItsReason() throws java.io.IOException {
        SharedCluster.TestCluster cluster = SharedCluster.get(); // a plaintext listener: no SASL mechanism enabled
        Path config = java.nio.file.Files.writeString(dir.resolve("sasl.properties"),
                "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.username=u\nsasl.password=p\n");
        CliRun run = CliRun.of("topics", "create", "--config", config.toString(), "--bootstrap-servers", cluster.bootstrapServers(),
                "--registry-url", cluster.registryUrl(), "--connect-timeout", "20");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("safelora: error: the Kafka broker at " + cluster.bootstrapServers() + " refused the connection: ")
                .contains("PLAIN");
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.out()).isEmpty();
    }

    @Test
    void aConnectTimeoutThatIsNotPositiveIsBadUsage() {
        CliRun run = CliRun.of("tail", "safelora.training-requests.v1", "--connect-timeout", "0");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("safelora: error: --connect-timeout must be > 0 and at most 86400 seconds, got 0.0");
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    private record Timed<T>(T value, Duration elapsed) {
        static <T> Timed<T> of(Supplier<T> work) {
            long start = System.nanoTime();
            T value = work.get();
            return new Timed<>(value, Duration.ofNanos(System.nanoTime() - start));
        }
    }
}
