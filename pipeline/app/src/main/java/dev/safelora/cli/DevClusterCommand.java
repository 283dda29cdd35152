package dev.safelora.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.safelora.broker.BrokerSettings;
import dev.safelora.cluster.EmbeddedCluster;
import dev.safelora.files.FileTrees;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.topics.SchemaBootstrap;
import dev.safelora.topics.TopicSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code dev-cluster}: an in-process Kafka broker, schema registry and every topic, until Ctrl-C. */
@Command(name = "dev-cluster", mixinStandardHelpOptions = true,
        description = {
            "Runs a local Kafka broker, schema registry and every pipeline topic until Ctrl-C.",
            "",
            "The broker is Apache Kafka's own (KRaft, in this process); the registry speaks the Confluent REST API "
                    + "and keeps its schemas in the compacted topic _schemas. Prints the bootstrap servers, the registry URL "
                    + "and export lines for other shells (submit, tail, stage)."})
public final class DevClusterCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the broker keeps its data; reusing a directory keeps topics, records and schema ids. "
                    + "Default: a fresh temporary directory, deleted on exit.")
    Path dataDir;

    @Option(names = "--kafka-port", paramLabel = "N", defaultValue = "9092",
            description = "Kafka client port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--registry-port", paramLabel = "N", defaultValue = "8081",
            description = "Schema registry HTTP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "3",
            description = "Partitions of each pipeline topic created now (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "localhost",
            description = "Host name to listen on and advertise (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--registry-bind", paramLabel = "HOST",
            description = "Interface the schema registry listens on, e.g. 127.0.0.1 or 0.0.0.0 (default: the --host value).")
    String registryBind;

    @Option(names = "--no-register",
            description = "Do not register the topics' value schemas under <topic>-value at start.")
    boolean noRegister;

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch ready = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        try {
            return run();
        } finally {
            // also when starting failed: awaitReady() then returns instead of waiting for ever
            ready.countDown();
        }
    }

    private int run() throws Exception {
        if (partitions < 1) {
            throw new ParameterException(spec.commandLine(), "--partitions must be at least 1, got " + partitions);
        }
        requireFree("Kafka", kafkaPort, "--kafka-port");
        requireFree("schema registry", registryPort, "--registry-port");
        if (dataDir != null && Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
            throw new IllegalArgumentException("--data-dir " + dataDir + " is not a directory");
        }
        boolean temporary = dataDir == null;
        Path dir = temporary ? Files.createTempDirectory("safelora-dev-cluster") : dataDir;
        Files.createDirectories(dir);

        EmbeddedCluster.Settings settings = new EmbeddedCluster.Settings(
                new BrokerSettings(dir, host, kafkaPort, 0, partitions, false, java.util.Map.of()),
                registryBind == null ? host : registryBind, registryPort,
                TopicSettings.defaults().withPartitions(partitions).withReplicationFactor((short) 1));
        PrintWriter out = spec.commandLine().getOut();
        EmbeddedCluster cluster = EmbeddedCluster.start(settings);
        Thread hook = new Thread(() -> {
            shutdown(cluster, temporary ? dir : null);
            out.println("dev-cluster stopped.");
            out.flush();
        }, "dev-cluster-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        out.println("Kafka broker:    " + cluster.bootstrapServers() + "   (data in " + dir + (temporary ? ", deleted on exit" : "") + ")");
        out.println("Schema registry: " + cluster.registryUrl());
        out.println("Topics:          " + cluster.topics().created().size() + " created, "
                + cluster.topics().alreadyPresent().size() + " already present");
        cluster.topics().mismatches().forEach(m -> out.println("  note: " + m));
        if (!noRegister) {
            SchemaBootstrap.Result schemas;
            try (SchemaRegistryClient registry = cluster.registryClient()) {
                schemas = SchemaBootstrap.run(registry);
            }
            out.println("Schemas:         " + schemas.registered().size() + " registered under <topic>-value, "
                    + schemas.alreadyRegistered().size() + " already registered");
            out.flush();
            if (!schemas.incompatible().isEmpty()) {
                PrintWriter err = spec.commandLine().getErr();
                schemas.incompatible().forEach(line -> err.println("incompatible schema in the registry (left unchanged): " + line));
                err.println("dev-cluster: stopping; start it with --no-register to keep these subjects as they are");
                err.flush();
                Runtime.getRuntime().removeShutdownHook(hook);
                shutdown(cluster, temporary ? dir : null);
                ready.countDown();
                return 1;
            }
        }
        out.println("Started in " + cluster.startupTime().toMillis() + " ms. In another shell:");
        out.println(cluster.clientSettings().exportLines());
        out.println("Press Ctrl-C to stop.");
        out.flush();
        ready.countDown();
        try {
            stop.await();
        } finally {
            // stopped by stop() rather than a signal: shut down here, and drop the hook
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
                shutdown(cluster, temporary ? dir : null);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting: the hook does it
            }
        }
        return 0;
    }

    /** Ends {@link #call()} as Ctrl-C would (tests). */
    void stop() {
        stop.countDown();
    }

    /** Waits until the cluster is up and its addresses printed, or {@link #call()} ended (tests). */
    void awaitReady() throws InterruptedException {
        if (!ready.await(3, java.util.concurrent.TimeUnit.MINUTES)) {
            throw new IllegalStateException("dev-cluster did not start within 3 minutes");
        }
    }

    /** Idempotent: the cluster's close() is, and deleting a deleted directory does nothing. */
    private static synchronized void shutdown(EmbeddedCluster cluster, Path deleteDir) {
        cluster.close();
        if (deleteDir != null) {
            FileTrees.deleteQuietly(deleteDir);
        }
    }

    private void requireFree(String what, int port, String option) {
        if (port == 0) {
            return;
        }
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), option + " must be in 0..65535, got " + port);
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException(what + " port " + port + " on " + host
                    + " is already in use (another dev-cluster?); pick another with " + option + " N, or 0 for a free one");
        }
    }
}
