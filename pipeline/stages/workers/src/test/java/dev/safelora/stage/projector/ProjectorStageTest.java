package dev.safelora.stage.projector;

import static dev.safelora.stage.jobs.WorkerStageKit.await;
import static dev.safelora.stage.jobs.WorkerStageKit.events;
import static dev.safelora.stage.jobs.WorkerStageKit.records;
import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.adapter.ServingConformance;
import dev.safelora.alignment.Aligner;
import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.alignment.Progress;
import dev.safelora.files.Digests;
import dev.safelora.artifacts.FileArtifactStore;
import dev.safelora.model.TinyModels;
import dev.safelora.projection.ModuleResult;
import dev.safelora.projection.SafeLoraProjector;
import dev.safelora.projection.Selection;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentRef;
import dev.safelora.schema.EvaluationCompleted;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.ModuleEvaluation;
import dev.safelora.schema.ProjectionJob;
import dev.safelora.schema.SelectionMode;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.schema.TrainingPhase;
import dev.safelora.schema.TrainingProgress;
import dev.safelora.stage.DeadLetters;
import dev.safelora.stage.LongJobLoop;
import dev.safelora.stage.StageMetrics;
import dev.safelora.stage.jobs.WorkerStageKit;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The projector stage over the in-process broker: a projection job becomes a projected PEFT adapter and
 * report in the store (the same B matrices and cosines as the projection library computes directly), an
 * AdapterPublished with lineage and the file's sha256, and an EvaluationCompleted without training metrics;
 * the same job delivered again publishes nothing more; a job whose raw adapter is missing is dead-lettered
 * and the next job is processed.
 */
class ProjectorStageTest {

    @TempDir
    Path work;

    private static PeftAdapter randomAdapter(int layers, int size, int r, long seed) {
        Random random = new Random(seed);
        List<LoraWeights> weights = new ArrayList<>();
        for (int layer = 0; layer < layers; layer++) {
            for (String proj : List.of("q_proj", "v_proj")) {
                float[] a = new float[r * size];
                float[] b = new float[size * r];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) random.nextGaussian();
                    b[i] = (float) random.nextGaussian();
                }
                weights.add(new LoraWeights("model.layers." + layer + ".self_attn." + proj, r, size, size, a, b));
            }
        }
        return PeftAdapter.of(new LoraConfig(r, 2.0 * r, false, List.of("q_proj", "v_proj"), 0.0, "base", false), weights);
    }

    private static ProjectionJob job(String adapterId, URI raw, URI alignment, URI output) {
        return ProjectionJob.newBuilder()
                .setJobId(UUID.nameUUIDFromBytes(adapterId.getBytes(StandardCharsets.UTF_8)))
                .setSourceAdapterId("adapter-1")
                .setAdapterId(adapterId)
                .setRequestId("request-1")
                .setFamily("tiny")
                .setRawAdapterUri(raw.toString())
                .setAlignment(AlignmentRef.newBuilder().setAlignmentId(UUID.randomUUID()).setRegistrationId(UUID.randomUUID())
                        .setAlignmentUri(alignment.toString()).setBaseUri("file:///models/base").setAlignedUri("file:///models/chat").build())
                .setSelection(SelectionPolicy.newBuilder().setMode(SelectionMode.TOP_K).setTopK(2).build())
                .setOutputUri(output.toString())
                .setReason(LineageReason.SELECTION_CHANGED)
                .setPlannedAt(Instant.ofEpochMilli(1_700_000_000_000L))
                .build();
    }

    /** A directory's file URI as the stage writes it (Path.toUri adds '/' to an existing directory). */
    private static String uri(Path dir) {
        return dir.toUri().toString().replaceAll("/$", "");
    }

    @Test
    void aProjectionJobPublishesOneProjectedAdapterAndItsEvaluation() throws Exception {
        WorkerStageKit kit = new WorkerStageKit("projector", work);
        Path root = FileArtifactStore.pathOf(kit.artifactsRoot());
        Path base = work.resolve("models/base");
        Path aligned = work.resolve("models/aligned");
        TinyModels.Shape shape = TinyModels.Shape.llama().withSize(32, 64, 4, 4);
        TinyModels.write(base, shape, 1);
        TinyModels.writeAligned(base, aligned, 0.3, 2);
        Path alignment = root.resolve("alignments/tiny/r1");
        Aligner.align(base, aligned, Set.of("q_proj", "v_proj"), alignment, Aligner.Options.defaults(), Progress.NONE);
        PeftAdapter raw = randomAdapter(2, 32, 4, 9);
        Path rawDir = root.resolve("adapters/adapter-1/raw");
        raw.write(rawDir);

        ProjectionJob good = job("adapter-1-p1", rawDir.toUri(), alignment.toUri(), root.resolve("adapters/adapter-1-p1").toUri());
        ProjectionJob noRaw = job("adapter-2-p1", root.resolve("adapters/nope/raw").toUri(), alignment.toUri(),
                root.resolve("adapters/adapter-2-p1").toUri());
        kit.produce("adapter-2", noRaw);
        kit.produce("adapter-1", good);
        kit.produce("adapter-1", good); // delivered twice

        LongJobLoop<ProjectionJob, SpecificRecord> loop = ProjectorStage.loop(
                kit.config(ProjectorStage.NAME, Map.of("exactly.once", "true", "export.vllm", "true")), new StageMetrics(), Map.of());
        loop.start();
        try {
            kit.awaitCommitted(3, Duration.ofSeconds(60));
        } finally {
            loop.shutdown();
            assertThat(loop.awaitTermination(Duration.ofSeconds(30))).isTrue();
        }

        List<AdapterPublished> adapters = events(kit.adapters, AdapterPublished.class);
        List<EvaluationCompleted> evaluations = events(kit.evaluations, EvaluationCompleted.class);
        assertThat(adapters).as("one adapter for the job delivered twice, none for the failed one").hasSize(1);
        assertThat(evaluations).hasSize(1);

        SafeLoraProjector.Result expected;
        try (AlignmentArtifact artifact = AlignmentArtifact.open(alignment)) {
            expected = SafeLoraProjector.project(raw, artifact, Selection.topK(2), Progress.NONE);
        }
        AdapterPublished published = adapters.get(0);
        Path projectedDir = root.resolve("adapters/adapter-1-p1/projected");
        assertThat(published.getUri()).isEqualTo(uri(projectedDir));
        assertThat(published.getSha256()).isEqualTo(Digests.fileSha256(projectedDir.resolve(PeftAdapter.WEIGHTS_FILE)));
        assertThat(published.getAdapterId()).isEqualTo("adapter-1-p1");
        assertThat(published.getPreviousAdapterId()).isEqualTo("adapter-1");
        assertThat(published.getReason()).isEqualTo(LineageReason.SELECTION_CHANGED);
        assertThat(published.getRawAdapterUri()).isEqualTo(rawDir.toUri().toString());
        assertThat(published.getLora().getR()).isEqualTo(4);
        assertThat(published.getReportUri()).isEqualTo(uri(projectedDir) + "/safelora_report.json");
        List<String> projectedNames = expected.report().modules().stream().filter(ModuleResult::projected).map(ModuleResult::name).toList();
        assertThat(projectedNames).hasSize(2);
        assertThat(published.getProjectedModules()).isEqualTo(projectedNames);

        PeftAdapter stored = PeftAdapter.read(projectedDir);
        expected.adapter().modules().forEach((name, w) -> {
            assertThat(stored.modules().get(name).b()).as(name).isEqualTo(w.b());
            assertThat(stored.modules().get(name).a()).as(name).isEqualTo(raw.modules().get(name).a());
        });
        // what the serving loaders require, checked against the base model's shapes; and the vLLM form beside it
        Path vllmDir = root.resolve("adapters/adapter-1-p1/vllm");
        assertThat(ServingConformance.check(projectedDir, ServingConformance.Loader.PEFT, base.resolve("config.json"), 16)).isEmpty();
        assertThat(ServingConformance.check(vllmDir, ServingConformance.Loader.VLLM, base.resolve("config.json"), 16)).isEmpty();
        PeftAdapter vllm = PeftAdapter.read(vllmDir);
        assertThat(vllm.config().rankPattern()).isEmpty();
        assertThat(vllm.config().scale()).isEqualTo(1.0);
        stored.modules().forEach((name, w) -> {
            float[] folded = vllm.modules().get(name).b();
            for (int i = 0; i < w.b().length; i++) {
                assertThat(folded[i]).as(name).isCloseTo((float) (stored.config().scale(name) * w.b()[i]), org.assertj.core.data.Offset.offset(1e-6f));
            }
        });

        EvaluationCompleted evaluation = evaluations.get(0);
        assertThat(evaluation.getAdapterId()).isEqualTo("adapter-1-p1");
        assertThat(evaluation.getPdst()).isEqualTo(expected.report().pdst());
        assertThat(evaluation.getModules()).extracting(ModuleEvaluation::getModule)
                .containsExactlyElementsOf(expected.report().modules().stream().map(ModuleResult::name).toList());
        assertThat(evaluation.getModules()).extracting(ModuleEvaluation::getCosine)
                .containsExactlyElementsOf(expected.report().modules().stream().map(ModuleResult::cosine).toList());
        assertThat(evaluation.getModules()).filteredOn(ModuleEvaluation::getProjected).extracting(ModuleEvaluation::getModule)
                .containsExactlyElementsOf(projectedNames);
        assertThat(evaluation.getTrainLoss()).isNull();
        assertThat(evaluation.getHeldOutLossBefore()).isNull();
        assertThat(evaluation.getTaskMetricsAfter()).isEmpty();
        assertThat(evaluation.getTimings().getTrainingMs()).isZero();

        List<ConsumerRecord<byte[], byte[]>> dlq = records(kit.input + ".dlq");
        assertThat(dlq).hasSize(1);
        assertThat(new String(dlq.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("adapter-2");
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.CAUSE)).isEqualTo("ARTIFACT");
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.ERROR_MESSAGE)).contains("raw adapter").contains("does not exist");
        await("progress", Duration.ofSeconds(10), () -> !events(kit.progress, TrainingProgress.class).isEmpty());
        assertThat(events(kit.progress, TrainingProgress.class)).extracting(TrainingProgress::getPhase)
                .contains(TrainingPhase.FAILED, TrainingPhase.COMPLETED);
    }
}
