package dev.safelora.it.pipeline;

import dev.safelora.planner.PlannerApp;
import dev.safelora.planner.PlannerMetrics;
import dev.safelora.stage.StageConfig;
import dev.safelora.stage.alignment.AlignmentStage;
import dev.safelora.stage.projector.ProjectorStage;
import dev.safelora.stage.trainer.TrainerStage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every stage of the pipeline against one cluster, each from its own properties file: alignment, planner
 * and projector in this JVM (what {@code safelora stage <name>} runs, minus the signal handling), the trainer
 * in a JVM of its own so that a test can kill it.
 */
final class RunningStages implements AutoCloseable {

    private final StageFiles files;
    private final Path logs;
    private final List<AutoCloseable> inProcess = new ArrayList<>();
    private PlannerApp planner;
    private TrainerJvm trainer;
    private int trainerStarts;

    private RunningStages(StageFiles files, Path logs) {
        this.files = files;
        this.logs = logs;
    }

    static RunningStages start(StageFiles files, Path logs) throws InterruptedException {
        RunningStages stages = new RunningStages(files, logs);
        Map<String, String> env = new TreeMap<>();
        try {
            stages.inProcess.add(AlignmentStage.WIRING.start(files.write(AlignmentStage.NAME), env));
            stages.inProcess.add(ProjectorStage.WIRING.start(files.write(ProjectorStage.NAME), env));
            StageConfig plannerConfig = StageConfig.load("planner", PlannerApp.INPUT_TOPICS, files.write("planner"), env);
            stages.planner = PlannerApp.start(plannerConfig, new PlannerMetrics());
            stages.inProcess.add(stages.planner);
            if (!stages.planner.awaitRunning(Duration.ofMinutes(2))) {
                throw new IllegalStateException("the planner did not reach RUNNING within 2 minutes: " + stages.planner.state());
            }
            stages.startTrainer();
        } catch (RuntimeException | InterruptedException e) {
            stages.close();
            throw e;
        }
        return stages;
    }

    /** Starts a trainer JVM on the trainer's properties file and work dir (a restart reuses both). */
    void startTrainer() {
        if (trainer != null && trainer.isAlive()) {
            throw new IllegalStateException("a trainer JVM is already running");
        }
        trainerStarts++;
        trainer = TrainerJvm.start(files.write(TrainerStage.NAME), logs.resolve("trainer-" + trainerStarts + ".log"));
    }

    int plannerMetricsPort() {
        return planner.metricsPort();
    }

    TrainerJvm trainer() {
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
