package dev.safelora.demo;

import dev.safelora.kafka.ClientSettings;
import dev.safelora.planner.PlannerApp;
import dev.safelora.planner.PlannerMetrics;
import dev.safelora.stage.StageConfig;
import dev.safelora.stage.StageWiring;
import dev.safelora.stage.alignment.AlignmentStage;
import dev.safelora.stage.projector.ProjectorStage;
import dev.safelora.stage.trainer.TrainerStage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Every stage of the pipeline, started in this process from the same configuration a
 * {@code safelora stage <name> --config FILE} process reads: one properties file per stage under
 * {@code <work dir>/stages/}, pointing at the embedded cluster and the work dir's artifact store.
 */
final class DemoStages implements AutoCloseable {

    private final List<AutoCloseable> running = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    /** The audit stage's process: its HTTP port serves /audit/. */
    private dev.safelora.stage.StageProcess audit;

    private DemoStages() {
    }

    /** Starts alignment, planner, trainer and projector; on any failure stops what already started. */
    static DemoStages start(ClientSettings cluster, DemoPaths paths) {
        DemoStages stages = new DemoStages();
        Map<String, String> env = environmentWithoutSafeloraSettings();
        try {
            stages.startWorker(AlignmentStage.NAME, writeConfig(cluster, paths, AlignmentStage.NAME), env, AlignmentStage.WIRING);
            Path plannerConfig = writeConfig(cluster, paths, "planner");
            StageConfig planner = StageConfig.load("planner", PlannerApp.INPUT_TOPICS, plannerConfig, env);
            stages.add("planner", PlannerApp.start(planner, new PlannerMetrics()));
            stages.startWorker(TrainerStage.NAME, writeConfig(cluster, paths, TrainerStage.NAME), env, TrainerStage.WIRING);
            stages.startWorker(ProjectorStage.NAME, writeConfig(cluster, paths, ProjectorStage.NAME), env, ProjectorStage.WIRING);
            stages.audit = dev.safelora.audit.stage.AuditStage.WIRING.start(writeConfig(cluster, paths, DemoAudit.STAGE), env);
            stages.add(DemoAudit.STAGE, stages.audit);
        } catch (RuntimeException e) {
            stages.close();
            throw e;
        }
        return stages;
    }

    /** Exactly what {@code safelora stage <name> --config FILE} does, minus the JVM shutdown hook. */
    private void startWorker(String name, Path configFile, Map<String, String> env, StageWiring wiring) {
        add(name, wiring.start(configFile, env));
    }

    int auditPort() {
        return audit.metricsPort();
    }

    List<String> names() {
        return List.copyOf(names);
    }

    private void add(String name, AutoCloseable stage) {
        names.add(name);
        running.add(stage);
    }

    /** Tokens generated per evaluation prompt: the toy language's answers and its refusal fit in 16 (the study's budget). */
    static final int EVAL_MAX_NEW_TOKENS = 16;
    private static final java.util.Set<String> WORKERS = java.util.Set.of(AlignmentStage.NAME, TrainerStage.NAME, ProjectorStage.NAME);

    /**
     * The stage's properties file: the cluster, free metrics ports, a short shutdown deadline, frequent
     * progress events, a short generation budget for the tiny model's evaluation, and a trainer that fine-tunes
     * the aligned checkpoint.
     */
    static Path writeConfig(ClientSettings cluster, DemoPaths paths, String stage) {
        Map<String, String> p = new TreeMap<>();
        p.put("bootstrap.servers", cluster.bootstrapServers());
        p.put("schema.registry.url", cluster.registry().url());
        p.put("stage.work.dir", paths.stageWork(stage).toString());
        p.put("stage.metrics.port", "0");
        p.put("stage.poll.timeout", "100ms");
        p.put("stage.shutdown.deadline", "10s");
        p.put("stage.shutdown.cancel.grace", "5s");
        p.put("stage.artifacts.uri", DemoPaths.fileUri(paths.artifacts()));
        if (WORKERS.contains(stage)) { // the planner and the audit stage would warn about keys they do not read
            p.put("stage.inputs.allowed", DemoPaths.fileUri(paths.family()));
            p.put("stage.progress.interval", "1s");
            p.put("stage.eval.max.new.tokens", Integer.toString(EVAL_MAX_NEW_TOKENS));
            p.put("stage.checkpoint.every", "0");
        }
        if (stage.equals(TrainerStage.NAME)) {
            // the SafeLoRA setting: users fine-tune the aligned model, whose safety V = W_aligned - W_base describes
            p.put("stage.train.from", "aligned");
        }
        Path file = paths.stages().resolve(stage + ".properties");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, p.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining("\n", "# written by safelora demo\n", "\n")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    /** The demo runs against its own cluster: SAFELORA_* variables meant for a real one must not redirect it. */
    private static Map<String, String> environmentWithoutSafeloraSettings() {
        Map<String, String> env = new TreeMap<>(System.getenv());
        env.keySet().removeIf(k -> k.startsWith("SAFELORA_") && !k.equals("SAFELORA_LOG_LEVEL"));
        return env;
    }

    /** Stops the stages in reverse order of starting. */
    @Override
    public void close() {
        List<AutoCloseable> reversed = new ArrayList<>(running);
        Collections.reverse(reversed);
        RuntimeException failure = null;
        for (AutoCloseable stage : reversed) {
            try {
                stage.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("stopping a stage failed: " + e.getMessage(), e);
                }
            }
        }
        running.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
