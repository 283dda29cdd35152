package dev.safelora.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.safelora.broker.BrokerSettings;
import dev.safelora.broker.EmbeddedKafkaBroker;
import dev.safelora.files.FileTrees;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.registry.server.RegistryServerSettings;
import dev.safelora.registry.server.SchemaRegistryServer;
import dev.safelora.topics.TopicBootstrap;
import dev.safelora.topics.TopicSettings;
import org.apache.kafka.clients.admin.Admin;

/**
 * One in-process cluster (broker, registry on {@code _schemas}, every pipeline topic with one
 * partition) for all tests of a JVM: starting one takes seconds. Tests on it use their own group ids,
 * and their own topic and subject names when they need isolation. Stopped by a shutdown hook when the
 * test JVM ends. (The application's {@code EmbeddedCluster} composes the same parts; it lives in the
 * app module, above this one.)
 */
public final class SharedCluster {

    /** The running parts and the client settings that point at them. */
    public record TestCluster(EmbeddedKafkaBroker broker, SchemaRegistryServer registry) {

        public String bootstrapServers() {
            return broker.bootstrapServers();
        }

        public String registryUrl() {
            return registry.url();
        }

        public ClientSettings clientSettings() {
            return ClientSettings.plaintext(bootstrapServers(), registryUrl());
        }

        public HttpSchemaRegistryClient registryClient() {
            return HttpSchemaRegistryClient.of(registryUrl());
        }
    }

    private static TestCluster cluster;

    private SharedCluster() {
    }

    public static synchronized TestCluster get() {
        if (cluster == null) {
            Path dir;
            try {
                dir = Files.createTempDirectory("safelora-test-cluster");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerSettings.defaults(dir));
            try (Admin admin = Admin.create(broker.clientProperties())) {
                TopicBootstrap.run(admin, TopicSettings.defaults().withPartitions(1).withReplicationFactor((short) 1));
            }
            SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryServerSettings.defaults(broker.bootstrapServers()));
            cluster = new TestCluster(broker, registry);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                registry.close();
                broker.close();
                FileTrees.deleteQuietly(dir);
            }, "shared-test-cluster-stop"));
        }
        return cluster;
    }
}
