package dev.safelora.demo;

import dev.safelora.files.FileTrees;
import dev.safelora.cluster.EmbeddedCluster;
import dev.safelora.contracts.Topic;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.requests.ValidatedRequest;
import dev.safelora.toy.ToyFamily;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * The whole pipeline in one process: an embedded broker and registry, every stage, the generated toy family
 * (a tiny base model and its sibling aligned to refuse harmful requests, with their data), one registration and
 * two training requests of the aligned model (a harmful and a benign fine-tune, selection AUTO); it follows the run
 * on the output topics, measures the aligned model beside them, prints progress and a summary, and stops everything.
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
     * @param epochs      training epochs of both fine-tunes; 0 keeps each recipe's own (tests train shorter)
     * @param seed        the toy family's seed (data, models, and the fine-tunes' seed)
     */
    public record Settings(Path workDir, Duration timeout, boolean keepRunning, int epochs, long seed) {

        /** The toy family's default seed, {@code safelora toy-family}'s; fixed before any result was looked at. */
        public static final long DEFAULT_SEED = 1;

        public Settings {
            if (epochs < 0) {
                throw new IllegalArgumentException("epochs must be >= 0 (0: the recipes'), got " + epochs);
            }
        }

        public static Settings of(Path workDir) {
            return new Settings(workDir, Duration.ofMinutes(10), false, 0, DEFAULT_SEED);
        }
    }

    private final Settings settings;
    private final Submitter submitter;
    private final PrintWriter out;
    private final List<DemoFineTune> fineTunes;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private long started;

    public Demo(Settings settings, Submitter submitter, PrintWriter out) {
        this.settings = settings;
        this.submitter = submitter;
        this.out = out;
        this.fineTunes = DemoFineTune.standard().stream().map(f -> settings.epochs() == 0 ? f : f.withEpochs(settings.epochs())).toList();
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
        deleteRecursively(paths.family());
        deleteRecursively(paths.measurements());
        say("generating the toy family, seed " + settings.seed() + " (safelora toy-family --seed " + settings.seed() + ")");
        ToyFamily.generate(paths.family(), settings.seed(), line -> say("  " + line));
        say("toy family under " + paths.root().relativize(paths.family()) + ": base (complies with every request), aligned"
                + " (refuses harmful ones), data/");
        String stamp = "demo-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
        ValidatedRequest registration = DemoRequests.registration(paths.base(), paths.aligned());
        List<String> requestIds = new ArrayList<>();
        List<ValidatedRequest> trainings = new ArrayList<>();
        for (DemoFineTune f : fineTunes) {
            String id = stamp + "-" + f.name();
            requestIds.add(id);
            trainings.add(DemoRequests.training(id, f, paths, settings.seed()));
        }

        try (EmbeddedCluster cluster = EmbeddedCluster.start(EmbeddedCluster.Settings.of(paths.cluster()))) {
            ClientSettings client = cluster.clientSettings();
            say("cluster up: kafka " + cluster.bootstrapServers() + ", schema registry " + cluster.registryUrl());
            try (DemoStages stages = DemoStages.start(client, paths);
                 PipelineWatcher watcher = new PipelineWatcher(client, DemoRequests.FAMILY, requestIds, this::say)) {
                say("stages running: " + String.join(", ", stages.names()) + " (configuration in "
                        + paths.root().relativize(paths.stages()) + "/; the trainer fine-tunes the aligned checkpoint)");
                say(submitter.submit(registration, client));
                for (ValidatedRequest training : trainings) {
                    say(submitter.submit(training, client));
                }
                long deadline = System.nanoTime() + settings.timeout().toNanos();
                watcher.awaitCompletion(deadline, settings.timeout());
                watcher.drain();
                say("measuring the aligned model and over-refusal of benign requests (not in the events)");
                DemoMeasurements measurements = new DemoMeasurements(paths);
                DemoResult.AlignedModel aligned = measurements.aligned(fineTunes);
                List<DemoResult.RequestResult> requests = new ArrayList<>();
                for (int i = 0; i < fineTunes.size(); i++) {
                    String id = requestIds.get(i);
                    List<dev.safelora.schema.AdapterPublished> adapters = watcher.adapters(id);
                    requests.add(new DemoResult.RequestResult(fineTunes.get(i).name(), id, fineTunes.get(i).taskSet(), adapters,
                            watcher.evaluations(id), measurements.overRefusal(local(adapters.get(0).getRawAdapterUri())),
                            measurements.overRefusal(local(adapters.get(0).getUri()))));
                }
                DemoResult result = new DemoResult(paths.root(), DemoRequests.FAMILY, settings.seed(), watcher.alignment().orElse(null),
                        requests, aligned, elapsed());
                out.println();
                out.print(DemoSummary.render(result, fineTunes, paths));
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

    private static Path local(String uri) {
        return DemoPaths.localPath(uri).orElseThrow(() -> new DemoFailure("the demo's artifact store is local; got " + uri));
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
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new DemoFailure("--work-dir " + root + " is not a directory; give a new or empty directory");
        }
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
