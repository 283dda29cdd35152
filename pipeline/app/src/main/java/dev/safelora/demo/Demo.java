package dev.safelora.demo;

import dev.safelora.files.FileTrees;
import dev.safelora.cluster.EmbeddedCluster;
import dev.safelora.contracts.Topic;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.model.TinyModels;
import dev.safelora.requests.ValidatedRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * The whole pipeline in one process: an embedded broker and registry, every stage, a generated
 * tiny model pair and dataset, one registration and one training request; it follows the run on
 * the output topics, prints progress and a summary, and stops everything.
 */
public final class Demo {

    /** Produces a validated request to its topic the way {@code safelora submit} does; returns a line saying where. */
    @FunctionalInterface
    public interface Submitter {
        String submit(ValidatedRequest request, ClientSettings cluster);
    }

    /**
     * @param workDir     where models, data, artifacts, stage state and the cluster's data go
     * @param timeout     how long to wait for the adapter and evaluation once the requests are in
     * @param keepRunning after the summary, keep the cluster and stages up until {@link #stop}
     * @param epochs      training epochs (the demo's sizing picks the default; tests train shorter)
     */
    public record Settings(Path workDir, Duration timeout, boolean keepRunning, int epochs) {

        public static Settings of(Path workDir) {
            return new Settings(workDir, Duration.ofMinutes(10), false, DemoSizing.standard().epochs());
        }
    }

    private final Settings settings;
    private final Submitter submitter;
    private final PrintWriter out;
    private final DemoSizing sizing;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private long started;

    public Demo(Settings settings, Submitter submitter, PrintWriter out) {
        this.settings = settings;
        this.submitter = submitter;
        this.out = out;
        this.sizing = DemoSizing.standard().withEpochs(settings.epochs());
    }

    /**
     * Ends a {@code keepRunning} demo and waits (up to {@code wait}) until its stages and cluster have
     * stopped: what a JVM shutdown hook calls on Ctrl-C.
     */
    public void stop(Duration wait) {
        stop.countDown();
        try {
            finished.await(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs the demo; a {@link DemoFailure} (or any other exception) says why it could not finish. */
    public DemoResult run() throws InterruptedException {
        try {
            return runOnce();
        } finally {
            finished.countDown();
        }
    }

    private DemoResult runOnce() throws InterruptedException {
        started = System.nanoTime();
        DemoPaths paths = new DemoPaths(settings.workDir());
        say("work dir " + paths.root());
        claim(paths);
        // A fresh cluster each run: the broker's data and the stages' local state (the planner's stores) go with it.
        deleteRecursively(paths.cluster());
        deleteRecursively(paths.stages());
        TinyModels.write(paths.base(), sizing.shape(), 1);
        TinyModels.writeAligned(paths.base(), paths.aligned(), sizing.alignedStrength(), 2);
        DemoData.DataFiles data = DemoData.write(paths.data());
        say("generated a tiny " + sizing.shape().architecture().hfName() + " pair (" + sizing.shape().layers() + " layers, hidden "
                + sizing.shape().hidden() + ") under " + paths.root().relativize(paths.base().getParent())
                + " and the data under " + paths.root().relativize(paths.data()));
        String requestId = "demo-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
        ValidatedRequest registration = DemoRequests.registration(paths.base(), paths.aligned());
        ValidatedRequest training = DemoRequests.training(requestId, data, sizing);

        try (EmbeddedCluster cluster = EmbeddedCluster.start(EmbeddedCluster.Settings.of(paths.cluster()))) {
            ClientSettings client = cluster.clientSettings();
            say("cluster up: kafka " + cluster.bootstrapServers() + ", schema registry " + cluster.registryUrl());
            try (DemoStages stages = DemoStages.start(client, paths);
                 PipelineWatcher watcher = new PipelineWatcher(client, DemoRequests.FAMILY, requestId, this::say)) {
                say("stages running: " + String.join(", ", stages.names()) + " (configuration in "
                        + paths.root().relativize(paths.stages()) + "/)");
                say(submitter.submit(registration, client));
                say(submitter.submit(training, client));
                long deadline = System.nanoTime() + settings.timeout().toNanos();
                watcher.awaitCompletion(deadline, settings.timeout());
                watcher.drain();
                DemoResult result = new DemoResult(paths.root(), DemoRequests.FAMILY, requestId,
                        watcher.alignment().orElse(null), watcher.adapters(), watcher.evaluations(), elapsed());
                out.println();
                out.print(DemoSummary.render(result, paths));
                DemoAudit.report(result, paths, stages.auditPort(), settings.keepRunning(), out);
                out.flush();
                if (settings.keepRunning()) {
                    out.println();
                    out.println("still running; from another shell (Ctrl-C here stops everything):");
                    out.println(client.exportLines());
                    out.println("./safelora tail " + Topic.ADAPTERS.topicName() + " --from-beginning");
                    out.flush();
                    stop.await();
                }
                say("stopping the stages and the cluster");
                return result;
            }
        }
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - started);
    }

    private void say(String line) {
        out.printf("[%6.1fs] %s%n", elapsed().toMillis() / 1000.0, line);
        out.flush();
    }

    /** Refuses a non-empty directory the demo did not create: it clears parts of its work dir. */
    private static void claim(DemoPaths paths) {
        Path root = paths.root();
        try {
            if (Files.isDirectory(root) && !Files.exists(paths.marker())) {
                try (Stream<Path> entries = Files.list(root)) {
                    if (entries.findAny().isPresent()) {
                        throw new DemoFailure("--work-dir " + root + " is not empty and not a demo work dir; give a new or empty directory");
                    }
                }
            }
            Files.createDirectories(root);
            if (!Files.exists(paths.marker())) {
                Files.writeString(paths.marker(), "work directory of safelora demo; it may clear cluster/ and stages/ here\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use " + root + " as the work dir: " + e.getMessage(), e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dir + ": " + e.getMessage(), e);
        }
    }
}
