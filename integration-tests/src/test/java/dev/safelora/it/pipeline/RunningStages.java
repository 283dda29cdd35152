package dev.safelora.it.pipeline;

import dev.safelora.stage.alignment.AlignmentStage;
import dev.safelora.stage.StageProcess;
import dev.safelora.stage.projector.ProjectorStage;
import dev.safelora.stage.trainer.TrainerStage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * Every stage of the pipeline against one cluster, each from its own properties file: alignment and projector
 * in this JVM (what {@code safelora stage <name>} runs, minus the signal handling); the trainer in a JVM of its
 * own so that a test can kill it; the planner in a JVM of its own on its image's class path, without libtorch.
 */
final class RunningStages implements AutoCloseable {

    private final StageFiles files;
    private final Path logs;
    private final List<AutoCloseable> inProcess = new ArrayList<>();
    private final Map<String, Integer> inProcessPorts = new TreeMap<>();
    private static final Pattern PLANNER_PORT = Pattern.compile("metrics and health on :(\\d+)");
    private static final Pattern STAGE_PORT = Pattern.compile("metrics on :(\\d+)/metrics");

    private StageJvm planner;
    private int plannerPort;
    private StageJvm trainer;
    private int trainerStarts;

    private RunningStages(StageFiles files, Path logs) {
        this.files = files;
        this.logs = logs;
    }

    static RunningStages start(StageFiles files, Path logs) throws InterruptedException {
        RunningStages stages = new RunningStages(files, logs);
        Map<String, String> env = new TreeMap<>();
        try {
            StageProcess alignment = AlignmentStage.WIRING.start(files.write(AlignmentStage.NAME), env);
            stages.inProcess.add(alignment);
            stages.inProcessPorts.put(AlignmentStage.NAME, alignment.metricsPort());
            StageProcess projector = ProjectorStage.WIRING.start(files.write(ProjectorStage.NAME), env);
            stages.inProcess.add(projector);
            stages.inProcessPorts.put(ProjectorStage.NAME, projector.metricsPort());
            stages.planner = StageJvm.planner(files.write("planner"), logs.resolve("planner.log"));
            stages.plannerPort = awaitRunning(stages.planner);
            stages.startTrainer();
        } catch (RuntimeException e) {
            stages.close();
            throw e;
        }
        return stages;
    }

    /** The planner's metrics port once its /health reports the Streams state RUNNING. */
    private static int awaitRunning(StageJvm planner) {
        HttpClient http = HttpClient.newHttpClient();
        int[] port = {0};
        Awaitility.await("the planner JVM reaches RUNNING").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .failFast("the planner JVM exited", () -> !planner.isAlive())
                .until(() -> {
                    Matcher m = PLANNER_PORT.matcher(planner.log());
                    if (!m.find()) {
                        return false;
                    }
                    port[0] = Integer.parseInt(m.group(1));
                    try {
                        HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                                URI.create("http://localhost:" + port[0] + "/health")).build(), HttpResponse.BodyHandlers.ofString());
                        return health.body().contains("\"state\":\"RUNNING\"");
                    } catch (IOException e) {
                        return false;
                    }
                });
        return port[0];
    }

    /** Starts a trainer JVM on the trainer's properties file and work dir (a restart reuses both). */
    void startTrainer() {
        if (trainer != null && trainer.isAlive()) {
            throw new IllegalStateException("a trainer JVM is already running");
        }
        trainerStarts++;
        trainer = StageJvm.trainer(files.write(TrainerStage.NAME), logs.resolve("trainer-" + trainerStarts + ".log"));
    }

    int plannerMetricsPort() {
        return plannerPort;
    }

    /** The /metrics port of each worker stage (alignment, projector, trainer), by stage name. */
    Map<String, Integer> stageMetricsPorts() {
        Map<String, Integer> ports = new TreeMap<>(inProcessPorts);
        Matcher m = STAGE_PORT.matcher(trainer.log());
        int port = -1;
        while (m.find()) {
            port = Integer.parseInt(m.group(1)); // the last start's
        }
        if (port < 0) {
            throw new IllegalStateException("the trainer has not logged its metrics port yet");
        }
        ports.put(TrainerStage.NAME, port);
        return ports;
    }

    StageJvm trainer() {
        return trainer;
    }

    String trainerLog() {
        return trainer == null ? "(no trainer started)" : trainer.logTail(60);
    }

    @Override
    public void close() throws InterruptedException {
        if (trainer != null) {
            trainer.close();
        }
        if (planner != null) {
            planner.close();
        }
        List<AutoCloseable> reversed = new ArrayList<>(inProcess);
        Collections.reverse(reversed);
        for (AutoCloseable stage : reversed) {
            try {
                stage.close();
            } catch (Exception e) {
                System.err.println("stopping a stage failed: " + e);
            }
        }
        inProcess.clear();
    }
}
