package dev.safelora.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Apache Kafka broker (combined KRaft broker and controller) running inside this
 * JVM, on Kafka's own server code. The data directory is formatted on first use and reused on
 * later starts, so records survive a restart on the same directory.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerSettings.defaults(dir))) {
 *     String bootstrap = broker.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    private final BrokerSettings settings;
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final String clusterId;
    private final Duration startupTime;
    private final FileChannel lock;
    private boolean closed;

    private EmbeddedKafkaBroker(BrokerSettings settings, KafkaRaftServer server, String bootstrapServers,
                                String clusterId, Duration startupTime, FileChannel lock) {
        this.lock = lock;
        this.settings = settings;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.clusterId = clusterId;
        this.startupTime = startupTime;
    }

    /** Formats the data directory if needed, starts the broker and waits until it serves clients. */
    public static EmbeddedKafkaBroker start(BrokerSettings settings) {
        long begin = System.nanoTime();
        int kafkaPort = settings.kafkaPort() == 0 ? freePort(settings.host()) : settings.kafkaPort();
        int controllerPort = settings.controllerPort() == 0
                ? portOtherThan(() -> freePort(settings.host()), kafkaPort, settings.host()) : settings.controllerPort();
        Path logDir = settings.dataDir().resolve("kafka-logs").toAbsolutePath();
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create broker data directory " + logDir, e);
        }
        FileChannel lock = lockDataDir(settings.dataDir());
        Map<String, String> props = brokerProperties(settings, logDir, kafkaPort, controllerPort);
        KafkaRaftServer server;
        String clusterId;
        try {
            KafkaConfig config = KafkaConfig.fromProps(toProperties(props), false);
            clusterId = formatIfNeeded(logDir);
            server = new KafkaRaftServer(config, Time.SYSTEM);
        } catch (RuntimeException e) {
            closeQuietly(lock);
            throw e;
        }
        try {
            server.startup();
        } catch (RuntimeException e) {
            shutdownQuietly(server);
            closeQuietly(lock);
            throw new IllegalStateException("in-process Kafka broker failed to start on " + settings.host() + ":"
                    + kafkaPort + " (data in " + logDir + "): " + e.getMessage(), e);
        }
        String bootstrap = settings.host() + ":" + kafkaPort;
        try {
            awaitReady(bootstrap, server);
        } catch (RuntimeException e) {
            closeQuietly(lock);
            throw e;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - begin);
        LOG.info("Kafka broker ready at {} (cluster {}, data {}) in {} ms", bootstrap, clusterId, logDir, took.toMillis());
        return new EmbeddedKafkaBroker(settings, server, bootstrap, clusterId, took, lock);
    }

    /** {@code host:port} of the client listener. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String clusterId() {
        return clusterId;
    }

    public Path dataDir() {
        return settings.dataDir();
    }

    /** How long {@link #start} took, formatting included. */
    public Duration startupTime() {
        return startupTime;
    }

    /** Client properties (only {@code bootstrap.servers}) for an admin, producer or consumer. */
    public Map<String, Object> clientProperties() {
        return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    }

    /** Stops the broker and waits until it has shut down; calling it again does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            closeQuietly(lock);
        }
        LOG.info("Kafka broker at {} stopped", bootstrapServers);
    }

    private static Map<String, String> brokerProperties(BrokerSettings s, Path logDir, int kafkaPort, int controllerPort) {
        Map<String, String> p = new HashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + s.host() + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + s.host() + ":" + kafkaPort + "," + CONTROLLER_LISTENER + "://" + s.host() + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + s.host() + ":" + kafkaPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", Integer.toString(s.defaultPartitions()));
        p.put("auto.create.topics.enable", Boolean.toString(s.autoCreateTopics()));
        // One node: every internal topic has a single replica; few partitions keep start-up fast.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.cleaner.backoff.ms", "1000");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("background.threads", "4");
        p.put("log.flush.offset.checkpoint.interval.ms", "1000");
        p.putAll(s.overrides());
        return p;
    }

    private static String formatIfNeeded(Path logDir) {
        Path metaProperties = logDir.resolve("meta.properties");
        if (Files.exists(metaProperties)) {
            return readClusterId(metaProperties);
        }
        String clusterId = Uuid.randomUuid().toString();
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(NODE_ID)
                .setClusterId(clusterId)
                .setDirectories(List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setIgnoreFormatted(true);
        try {
            formatter.run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka data directory " + logDir + ": " + e.getMessage(), e);
        }
        return clusterId;
    }

    private static String readClusterId(Path metaProperties) {
        java.util.Properties props = new java.util.Properties();
        try (var in = Files.newInputStream(metaProperties)) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metaProperties, e);
        }
        return props.getProperty("cluster.id", "unknown");
    }

    private static void awaitReady(String bootstrap, KafkaRaftServer server) {
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            shutdownQuietly(server);
            throw new IllegalStateException("in-process Kafka broker at " + bootstrap + " did not become ready: " + e, e);
        }
    }

    /**
     * Holds {@code dataDir/.safelora-broker.lock} while the broker runs, so a second broker on
     * the same directory (another dev-cluster, say) is refused with a clear message instead of
     * failing deep inside Kafka.
     */
    private static FileChannel lockDataDir(Path dataDir) {
        Path lockFile = dataDir.resolve(".safelora-broker.lock");
        try {
            Files.createDirectories(dataDir);
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock acquired;
            try {
                acquired = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                acquired = null;
            }
            if (acquired == null) {
                channel.close();
                throw new IllegalStateException("Kafka data directory " + dataDir.toAbsolutePath()
                        + " is in use by another running broker; stop it or choose another directory");
            }
            return channel;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock Kafka data directory " + dataDir, e);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close(); // releases the lock
        } catch (IOException ignored) {
            // nothing left to do
        }
    }

    private static void shutdownQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException ignored) {
            // already failing; the original error is what matters
        }
    }

    private static java.util.Properties toProperties(Map<String, String> map) {
        java.util.Properties props = new java.util.Properties();
        props.putAll(map);
        return props;
    }

    /**
     * The first port {@code free} offers that is not {@code taken} (100 tries): the port just picked for the other
     * listener is free again once its probe socket closes, and the system can hand it out twice in a row (then the
     * broker refused to start: "Each listener must have a different port").
     */
    static int portOtherThan(java.util.function.IntSupplier free, int taken, String host) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = free.getAsInt();
            if (port != taken) {
                return port;
            }
        }
        throw new IllegalStateException("no free port on " + host + " other than " + taken);
    }

    private static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + host, e);
        }
    }
}
