package dev.safelora.it.pipeline;

import dev.safelora.kafka.ClientSettings;
import dev.safelora.stage.trainer.TrainerStage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The properties file each stage reads with {@code --config}, as an operator would write one: the cluster,
 * one shared artifact store, the stage's own work dir, and timings short enough for a test (quick polls and
 * retries, frequent progress events, checkpoints every few steps, a six-second consumer session for the
 * trainer so a killed trainer's partitions move on quickly, a short generation budget for the tiny model's evaluation).
 */
final class StageFiles {

    static final int CHECKPOINT_EVERY = 10;

    private final ClientSettings cluster;
    private final Path root;

    StageFiles(ClientSettings cluster, Path root) {
        this.cluster = cluster;
        this.root = root;
    }

    Path artifacts() {
        return root.resolve("artifacts");
    }

    Path workDir(String stage) {
        return root.resolve("stages").resolve(stage);
    }

    Path write(String stage) {
        Map<String, String> p = new TreeMap<>();
        p.put("bootstrap.servers", cluster.bootstrapServers());
        p.put("schema.registry.url", cluster.registry().url());
        if (stage.equals(TrainerStage.NAME)) {
            // A SIGKILLed trainer sends no LeaveGroup: its partitions move when this session expires.
            p.put("consumer.session.timeout.ms", "6000");
            p.put("consumer.heartbeat.interval.ms", "1000");
        }
        p.put("stage.work.dir", workDir(stage).toString());
        p.put("stage.metrics.port", "0");
        p.put("stage.poll.timeout", "100ms");
        p.put("stage.retry.backoff.initial", "100ms");
        p.put("stage.retry.backoff.max", "2s");
        p.put("stage.shutdown.deadline", "10s");
        p.put("stage.shutdown.cancel.grace", "5s");
        p.put("stage.artifacts.uri", artifacts().toUri().toString());
        // The test families' checkpoints and data sets live next to the pipeline's directory.
        p.put("stage.inputs.allowed", root.toAbsolutePath().getParent().toUri().toString());
        p.put("stage.progress.interval", "200ms");
        p.put("stage.checkpoint.every", Integer.toString(CHECKPOINT_EVERY));
        p.put("stage.eval.max.new.tokens", "8");
        Path file = root.resolve("stages").resolve(stage + ".properties");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, p.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining("\n", "", "\n")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
