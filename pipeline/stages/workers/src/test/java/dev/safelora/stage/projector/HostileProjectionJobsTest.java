package dev.safelora.stage.projector;

import static dev.safelora.stage.jobs.WorkerStageKit.events;
import static dev.safelora.stage.jobs.WorkerStageKit.records;
import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.alignment.Aligner;
import dev.safelora.alignment.Progress;
import dev.safelora.artifacts.FileArtifactStore;
import dev.safelora.model.TinyModels;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentRef;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.ProjectionJob;
import dev.safelora.schema.SelectionMode;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.stage.DeadLetters;
import dev.safelora.stage.LongJobLoop;
import dev.safelora.stage.StageMetrics;
import dev.safelora.stage.jobs.WorkerStageKit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile projection jobs, as a producer with write access to the jobs topic could send them (generated here):
 * each names its input and the dead-letter reason the projector must give. The stage dead-letters each one,
 * publishes the good job that follows, writes nothing outside its artifacts root, and gets through all of them
 * within a bound.
 */
class HostileProjectionJobsTest {

    @TempDir
    Path work;

    /** A first attempt of a job that nobody cancels. */
    private record Attempt(Path scratch) implements dev.safelora.stage.JobContext<SpecificRecord> {
        @Override public boolean cancelled() { return false; }
        @Override public java.util.Optional<CancelReason> cancelReason() { return java.util.Optional.empty(); }
        @Override public void publish(dev.safelora.stage.Output<SpecificRecord> output) { }
        @Override public Path scratchDir() { return scratch; }
    }

    private static PeftAdapter adapter(float poison) {
        List<LoraWeights> weights = new ArrayList<>();
        for (int layer = 0; layer < 2; layer++) {
            float[] a = new float[4 * 32];
            float[] b = new float[32 * 4];
            for (int i = 0; i < a.length; i++) {
                a[i] = 0.01f * ((i * 7 + layer) % 13 - 6);
                b[i] = 0.02f * ((i * 5 + layer) % 11 - 5);
            }
            if (layer == 1) {
                a[3] = poison;
            }
            weights.add(new LoraWeights("model.layers." + layer + ".self_attn.q_proj", 4, 32, 32, a, b));
        }
        return PeftAdapter.of(new LoraConfig(4, 8, false, List.of("q_proj"), 0.0, "base", false), weights);
    }

    private static ProjectionJob job(String adapterId, String raw, String alignment, String output) {
        return ProjectionJob.newBuilder()
                .setJobId(UUID.nameUUIDFromBytes(adapterId.getBytes(StandardCharsets.UTF_8)))
                .setSourceAdapterId("adapter-1").setAdapterId(adapterId).setRequestId("request-1").setFamily("tiny")
                .setRawAdapterUri(raw)
                .setAlignment(AlignmentRef.newBuilder().setAlignmentId(UUID.randomUUID()).setRegistrationId(UUID.randomUUID())
                        .setAlignmentUri(alignment).setBaseUri("file:///models/base").setAlignedUri("file:///models/chat").build())
                .setSelection(SelectionPolicy.newBuilder().setMode(SelectionMode.TOP_K).setTopK(1).build())
                .setOutputUri(output).setReason(LineageReason.SELECTION_CHANGED)
                .setPlannedAt(Instant.ofEpochMilli(1_700_000_000_000L)).build();
    }

    @Test
    void everyHostileJobIsDeadLetteredWithItsReasonAndNothingIsWrittenOutsideTheRoot() throws Exception {
        WorkerStageKit kit = new WorkerStageKit("projector", work);
        Path root = FileArtifactStore.pathOf(kit.artifactsRoot());
        Path outside = Files.createDirectories(work.resolve("outside"));
        Files.writeString(outside.resolve("keep.txt"), "untouched");
        Path base = work.resolve("models/base");
        Path aligned = work.resolve("models/aligned");
        TinyModels.write(base, TinyModels.Shape.llama().withSize(32, 64, 4, 4), 1);
        TinyModels.writeAligned(base, aligned, 0.3, 2);
        Path alignment = root.resolve("alignments/tiny/r1");
        Aligner.align(base, aligned, Set.of("q_proj"), alignment, Aligner.Options.defaults(), Progress.NONE);
        String alignmentUri = alignment.toUri().toString();
        Path good = root.resolve("adapters/adapter-1/raw");
        adapter(0.5f).write(good);
        Path nan = root.resolve("adapters/nan/raw");
        adapter(Float.NaN).write(nan);
        Path redos = root.resolve("adapters/redos/raw");
        adapter(0.5f).write(redos);
        Files.writeString(redos.resolve(PeftAdapter.CONFIG_FILE), "{\"peft_type\":\"LORA\",\"r\":4,\"lora_alpha\":8,"
                + "\"target_modules\":[\"q_proj\"],\"rank_pattern\":{\"(.*.){16}z\":4}}");
        Path duplicate = root.resolve("adapters/dup/raw");
        adapter(0.5f).write(duplicate);
        Files.writeString(duplicate.resolve(PeftAdapter.CONFIG_FILE), "{\"peft_type\":\"LORA\",\"r\":4,\"r\":8,\"target_modules\":[\"q_proj\"]}");
        Files.createDirectories(root.resolve("adapters"));
        Files.createSymbolicLink(root.resolve("adapters/escape"), outside);
        String rootUri = root.toUri().toString().replaceAll("/$", "");

        // name -> (job, expected dead-letter reason)
        Map<String, Object[]> cases = new LinkedHashMap<>();
        cases.put("outputUri outside the root", new Object[] {job("h1", good.toUri().toString(), alignmentUri,
                outside.resolve("h1").toUri().toString()), "outside this stage's artifacts root"});
        cases.put("outputUri through a symlink out of the root", new Object[] {job("h2", good.toUri().toString(), alignmentUri,
                rootUri + "/adapters/escape/h2"), "outside this stage's artifacts root"});
        cases.put("outputUri with dot segments", new Object[] {job("h3", good.toUri().toString(), alignmentUri,
                rootUri + "/adapters/../../outside/h3"), "dot segment"});
        cases.put("outputUri with encoded dots", new Object[] {job("h4", good.toUri().toString(), alignmentUri,
                rootUri + "/adapters/%2e%2e/%2e%2e/outside/h4"), "dot segment"});
        cases.put("rawAdapterUri /etc/passwd", new Object[] {job("h5", "file:///etc/passwd", alignmentUri,
                rootUri + "/adapters/h5"), "not under an allowed input root"});
        cases.put("raw adapter with NaN", new Object[] {job("h6", nan.toUri().toString(), alignmentUri,
                rootUri + "/adapters/h6"), "holds NaN or infinity"});
        cases.put("raw adapter with a catastrophic rank_pattern", new Object[] {job("h7", redos.toUri().toString(), alignmentUri,
                rootUri + "/adapters/h7"), "catastrophic backtracking"});
        cases.put("raw adapter config with a duplicate key", new Object[] {job("h8", duplicate.toUri().toString(), alignmentUri,
                rootUri + "/adapters/h8"), "duplicate key"});
        cases.put("outputUri with user information", new Object[] {job("h9", good.toUri().toString(), alignmentUri,
                "file://admin:secret@localhost" + root + "/adapters/h9"), "user information"});
        // Every case against the job runner itself (milliseconds each): the exception the loop dead-letters.
        dev.safelora.stage.jobs.StageArtifacts artifacts = new dev.safelora.stage.jobs.StageArtifacts(
                new dev.safelora.artifacts.ArtifactStores().register("file", FileArtifactStore::new), kit.artifactsRoot(),
                List.of(Path.of(System.getProperty("java.io.tmpdir")).toUri()));
        ProjectionJobRunner runner = new ProjectionJobRunner(artifacts,
                dev.safelora.stage.jobs.WorkerSettings.from(kit.config(ProjectorStage.NAME, Map.of()), Map.of()));
        for (Map.Entry<String, Object[]> c : cases.entrySet()) {
            ProjectionJob hostile = (ProjectionJob) c.getValue()[0];
            long caseStart = System.nanoTime();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> runner.run(new dev.safelora.stage.InputRecord<>(kit.input, 0, 0L, 0L,
                            c.getKey(), hostile, new org.apache.kafka.common.header.internals.RecordHeaders()), new Attempt(work.resolve("scratch"))))
                    .as(c.getKey()).isInstanceOf(dev.safelora.stage.BadInputException.class)
                    .hasMessageContaining((String) c.getValue()[1]).hasMessageNotContaining("secret").hasMessageNotContaining("root:x:0:0");
            assertThat(Duration.ofNanos(System.nanoTime() - caseStart)).as(c.getKey()).isLessThan(Duration.ofSeconds(10));
        }

        // A few through the running stage: dead-lettered with the reason, and the good job after them still published.
        List<String> throughTheStage = List.of("outputUri through a symlink out of the root", "rawAdapterUri /etc/passwd",
                "raw adapter with NaN");
        for (String name : throughTheStage) {
            kit.produce(name, (ProjectionJob) cases.get(name)[0]);
        }
        kit.produce("good", job("adapter-1-p1", good.toUri().toString(), alignmentUri, rootUri + "/adapters/adapter-1-p1"));

        LongJobLoop<ProjectionJob, SpecificRecord> loop = ProjectorStage.loop(kit.config(ProjectorStage.NAME, Map.of()), new StageMetrics(), Map.of());
        long start = System.nanoTime();
        loop.start();
        try {
            kit.awaitCommitted(throughTheStage.size() + 1, Duration.ofSeconds(120));
        } finally {
            loop.shutdown();
            assertThat(loop.awaitTermination(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("all hostile jobs handled within the bound").isLessThan(Duration.ofSeconds(120));

        Map<String, String> reasons = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> dead : records(kit.input + ".dlq")) {
            reasons.put(new String(dead.key(), StandardCharsets.UTF_8), DeadLetters.header(dead.headers(), DeadLetters.ERROR_MESSAGE));
        }
        assertThat(reasons.keySet()).containsExactlyInAnyOrderElementsOf(throughTheStage);
        for (String name : throughTheStage) {
            assertThat(reasons.get(name)).as(name).contains((String) cases.get(name)[1]).doesNotContain("root:x:0:0");
        }
        assertThat(events(kit.adapters, AdapterPublished.class)).extracting(AdapterPublished::getAdapterId).containsExactly("adapter-1-p1");
        try (Stream<Path> files = Files.walk(outside)) {
            assertThat(files.filter(Files::isRegularFile).toList()).as("nothing written outside the root")
                    .containsExactly(outside.resolve("keep.txt"));
        }
    }
}
