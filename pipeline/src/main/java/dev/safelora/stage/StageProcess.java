package dev.safelora.stage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs stage loops as a process: serves {@code /metrics} and {@code /health} on the configured port,
 * runs every loop on its own thread, and on SIGTERM/SIGINT (JVM shutdown) shuts them down gracefully
 * within their deadlines before the JVM exits. Returns when every loop has stopped.
 *
 * <pre>{@code
 * StageConfig config = StageConfig.load("alignment", List.of(Topic.MODEL_REGISTRATIONS.topicName()), file, System.getenv());
 * StageMetrics metrics = new StageMetrics();
 * RecordLoop<ModelRegistration, SpecificRecord> loop =
 *         new RecordLoop<>(config, deserializer, serializer, handler, metrics);
 * StageProcess.run(config, metrics, loop);
 * }</pre>
 */
public final class StageProcess {

    private static final Logger LOG = LoggerFactory.getLogger(StageProcess.class);

    private StageProcess() {}

    public static void run(StageConfig config, StageMetrics metrics, StageLoop... loops) throws InterruptedException {
        try (StageHttpServer http = StageHttpServer.start(config.metricsPort(), metrics)) {
            LOG.info("stage {}: metrics on http://0.0.0.0:{}/metrics, health on /health", config.stageName(), http.port());
            List<Thread> threads = new ArrayList<>();
            for (StageLoop loop : loops) {
                http.watch(loop.health());
            }
            Duration wait = config.shutdownDeadline().plus(config.shutdownCancelGrace()).plusSeconds(10);
            Thread hook = new Thread(() -> {
                for (StageLoop loop : loops) {
                    loop.shutdown();
                }
                for (StageLoop loop : loops) {
                    try {
                        loop.awaitTermination(wait);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }, "stage-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            for (StageLoop loop : loops) {
                threads.add(loop.start());
            }
            for (Thread t : threads) {
                t.join();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped us
            }
        }
    }
}
