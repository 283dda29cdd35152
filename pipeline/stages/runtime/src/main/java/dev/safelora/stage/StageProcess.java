package dev.safelora.stage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage loops running as (part of) a process: {@code /metrics} and {@code /health} on one port, every loop
 * on its own thread. {@link #run} is the whole life of a {@code safelora stage <name>} process: it also
 * turns SIGTERM/SIGINT (JVM shutdown) into a graceful shutdown within the loops' deadlines. The demo,
 * which runs every stage in one JVM, uses {@link #start} and {@link #close} instead.
 *
 * <pre>{@code
 * StageConfig config = StageConfig.load("alignment", List.of(Topic.MODEL_REGISTRATIONS.topicName()), file, System.getenv());
 * StageMetrics metrics = new StageMetrics();
 * var loop = new RecordLoop<>(config, AvroDeserializer.specific(registry, ModelRegistration.class),
 *         new AvroSerializer<SpecificRecord>(registry, true), handler, metrics);
 * StageProcess.run(config, metrics, loop);
 * }</pre>
 */
public final class StageProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StageProcess.class);

    private final StageConfig config;
    private final StageHttpServer http;
    private final List<StageLoop> loops;
    private final List<Thread> threads = new ArrayList<>();

    private StageProcess(StageConfig config, StageHttpServer http, List<StageLoop> loops) {
        this.config = config;
        this.http = http;
        this.loops = loops;
    }

    /** Serves metrics and health on {@code config.metricsPort()} and starts every loop on its own thread. */
    public static StageProcess start(StageConfig config, StageMetrics metrics, StageLoop... loops) {
        StageHttpServer http = StageHttpServer.start(config.metricsPort(), metrics);
        StageProcess process = new StageProcess(config, http, List.of(loops));
        for (StageLoop loop : loops) {
            http.watch(loop.health());
        }
        LOG.info("stage {}: metrics on :{}/metrics, health on :{}/health", config.stageName(), http.port(), http.port());
        for (StageLoop loop : loops) {
            process.threads.add(loop.start());
        }
        return process;
    }

    /**
     * Runs until every loop has stopped; a JVM shutdown (SIGTERM, Ctrl-C) stops them gracefully first. A
     * loop that died of an error stops the others and is rethrown here, so the command exits non-zero.
     */
    public static void run(StageConfig config, StageMetrics metrics, StageLoop... loops) throws InterruptedException {
        try (StageProcess process = start(config, metrics, loops)) {
            Thread hook = new Thread(process::close, "stage-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            process.awaitStopped();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped the loops
            }
        }
        for (StageLoop loop : loops) {
            if (loop.failure().isPresent()) {
                Throwable t = loop.failure().get();
                throw new IllegalStateException("stage " + loop.stageName() + " failed: " + Failures.describe(t), t);
            }
        }
    }

    /** The port actually serving {@code /metrics} and {@code /health} (useful with port 0). */
    public int metricsPort() {
        return http.port();
    }

    /** Waits until every loop thread has ended; when one dies of an error, the others are shut down. */
    public void awaitStopped() throws InterruptedException {
        while (true) {
            boolean alive = false;
            for (Thread t : threads) {
                t.join(100);
                alive |= t.isAlive();
            }
            if (!alive) {
                return;
            }
            if (loops.stream().anyMatch(l -> l.failure().isPresent())) {
                loops.forEach(StageLoop::shutdown);
            }
        }
    }

    /** Asks every loop to stop gracefully, waits for them within their deadlines, then stops serving. */
    @Override
    public void close() {
        for (StageLoop loop : loops) {
            loop.shutdown();
        }
        Duration wait = config.shutdownBudget();
        try {
            for (StageLoop loop : loops) {
                if (!loop.awaitTermination(wait)) {
                    LOG.warn("stage {} did not stop within {}", loop.stageName(), wait);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            http.close();
        }
    }
}
