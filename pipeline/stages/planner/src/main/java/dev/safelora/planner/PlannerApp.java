package dev.safelora.planner;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.stage.StageConfig;

/**
 * The planner as a running Kafka Streams application ({@code processing.guarantee=exactly_once_v2}):
 * application id = {@code stage.group.id} (default {@code safelora-planner}), state under
 * {@code <stage.work.dir>/planner-state}, jobs writing under {@code stage.artifacts.uri} (default
 * {@code file://<stage.work.dir>/artifacts}), {@code /metrics} and {@code /health} on
 * {@code stage.metrics.port}. A stream thread that dies of a transient failure is replaced (its task
 * resumes from the last commit).
 */
public final class PlannerApp implements AutoCloseable {

    /** The stage's own input topics. */
    public static final List<String> INPUT_TOPICS = List.of(Topic.ALIGNMENTS.topicName(), Topic.LAYER_SELECTIONS.topicName(),
            Topic.TRAINING_REQUESTS.topicName(), Topic.ADAPTERS.topicName());
    /** Key under {@code stage.} for the artifact-store root the planned jobs write to. */
    public static final String ARTIFACTS_URI = "artifacts.uri";

    private static final Logger LOG = LoggerFactory.getLogger(PlannerApp.class);

    private final KafkaStreams streams;
    private final PlannerMetrics metrics;
    private final HttpSchemaRegistryClient registry;
    private final HttpServer http;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private PlannerApp(KafkaStreams streams, PlannerMetrics metrics, HttpSchemaRegistryClient registry, HttpServer http) {
        this.streams = streams;
        this.metrics = metrics;
        this.registry = registry;
        this.http = http;
    }

    /** The Kafka Streams properties of the planner for {@code config}. */
    public static Properties streamsProperties(StageConfig config) {
        Properties props = new Properties();
        Map<String, Object> client = config.client().streamsProperties(config.groupId());
        client.forEach((k, v) -> {
            if (v != null) {
                props.put(k, v);
            }
        });
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.workDir().resolve("planner-state").toAbsolutePath().toString());
        props.putIfAbsent(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        return props;
    }

    public static String artifactsUri(StageConfig config) {
        return config.artifactsRoot().toString();
    }

    /**
     * Checks that the input topics exist with one partition count, then starts the streams application and
     * the metrics/health server; returns at once.
     */
    public static PlannerApp start(StageConfig config, PlannerMetrics metrics) {
        for (String unknown : config.unknownSettings(List.of(ARTIFACTS_URI))) {
            LOG.warn("planner: unknown setting stage.{} is ignored", unknown);
        }
        int partitions;
        try (Admin admin = Admin.create(config.client().adminProperties())) {
            partitions = PlannerPartitions.common(admin, INPUT_TOPICS, Duration.ofSeconds(30));
        }
        HttpSchemaRegistryClient registry = config.client().registryClient();
        KafkaStreams streams = new KafkaStreams(PlannerTopology.build(registry, artifactsUri(config), metrics, OptionalInt.of(partitions)),
                streamsProperties(config));
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(config.metricsPort()), 0);
        } catch (IOException e) {
            registry.close();
            throw new UncheckedIOException("cannot serve metrics and health on port " + config.metricsPort() + ": " + e.getMessage(), e);
        }
        PlannerApp app = new PlannerApp(streams, metrics, registry, http);
        metrics.watchLag(streams::metrics);
        http.createContext("/metrics", new MetricsHandler(metrics.registry()));
        http.createContext("/health", app::health);
        http.start();
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("planner: stream thread failed; replacing it: {}", e.toString(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> {
            LOG.info("planner: {} -> {}", before, now);
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                app.stopped.countDown();
            }
        });
        streams.start();
        LOG.info("planner: application {} started; metrics and health on :{}", config.groupId(), app.metricsPort());
        return app;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public PlannerMetrics metrics() {
        return metrics;
    }

    public int metricsPort() {
        return http.getAddress().getPort();
    }

    /** Waits until the application is RUNNING (true) or the timeout passes (false). */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (streams.state() == KafkaStreams.State.RUNNING) {
                return true;
            }
            Thread.sleep(50);
        }
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    /** Blocks until the application stops (closed, or failed for good). */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    private void health(HttpExchange exchange) throws IOException {
        try (exchange) {
            KafkaStreams.State state = streams.state();
            boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
            byte[] body = ("{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"stages\":[{\"stage\":\"planner\",\"healthy\":" + up
                    + ",\"state\":\"" + state + "\"}]}\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(up ? 200 : 503, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        // with static membership (consumer.group.instance.id) this removes the member, so a replacement gets the
        // tasks at once; dynamic members are dropped after session.timeout.ms (Streams never sends LeaveGroup)
        streams.close(new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(30)).leaveGroup(true));
        stopped.countDown();
        http.stop(0);
        registry.close();
    }
}
