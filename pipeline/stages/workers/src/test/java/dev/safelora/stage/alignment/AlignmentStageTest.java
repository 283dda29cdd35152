package dev.safelora.stage.alignment;

import static dev.safelora.stage.jobs.WorkerStageKit.await;
import static dev.safelora.stage.jobs.WorkerStageKit.events;
import static dev.safelora.stage.jobs.WorkerStageKit.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.artifacts.FileArtifactStore;
import dev.safelora.model.TinyModels;
import dev.safelora.schema.AlignedModule;
import dev.safelora.schema.AlignmentErrorCode;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentFailed;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.ModelRegistration;
import dev.safelora.stage.DeadLetters;
import dev.safelora.stage.LongJobLoop;
import dev.safelora.stage.StageMetrics;
import dev.safelora.stage.jobs.WorkerStageKit;
import dev.safelora.tensor.Checkpoint;
import dev.safelora.tensor.SafetensorsWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alignment stage over the in-process broker and registry, on generated tiny checkpoints: a good
 * registration becomes a stored artifact holding exactly aligned - base, and an AlignmentReady event
 * describing it; bad checkpoints become AlignmentFailed events with the reason and code; bytes that are not a
 * registration go to the DLQ and the stage goes on.
 */
class AlignmentStageTest {

    private static final TinyModels.Shape SHAPE = TinyModels.Shape.llama().withSize(32, 64, 4, 4);

    @TempDir
    static Path models;
    static Path base;
    static Path aligned;

    @TempDir
    Path work;

    @BeforeAll
    static void checkpoints() {
        base = models.resolve("base");
        aligned = models.resolve("aligned");
        TinyModels.write(base, SHAPE, 1);
        TinyModels.writeAligned(base, aligned, 0.3, 2);
    }

    private static ModelRegistration registration(String family, Path baseDir, Path alignedDir) {
        return ModelRegistration.newBuilder()
                .setRegistrationId(UUID.randomUUID())
                .setFamily(family)
                .setBaseUri(baseDir.toUri().toString())
                .setAlignedUri(alignedDir.toUri().toString())
                .setTargetModules(List.of("q_proj", "v_proj"))
                .setRegisteredBy("test")
                .setRegisteredAt(Instant.ofEpochMilli(1_700_000_000_000L))
                .setBaseModelName("org/" + family)
                .build();
    }

    private LongJobLoop<ModelRegistration, SpecificRecord> start(WorkerStageKit kit) {
        LongJobLoop<ModelRegistration, SpecificRecord> loop = AlignmentStage.loop(kit.config(AlignmentStage.NAME, Map.of()),
                new StageMetrics(), Map.of());
        loop.start();
        return loop;
    }

    @Test
    void aRegistrationBecomesAStoredArtifactOfAlignedMinusBaseAndAnAlignmentReadyEvent() throws Exception {
        WorkerStageKit kit = new WorkerStageKit("alignment", work);
        ModelRegistration reg = registration("tiny-llama", base, aligned);
        kit.produce(reg.getFamily(), reg);
        kit.produce(reg.getFamily(), reg); // redelivered: same alignment version, artifact reused
        LongJobLoop<ModelRegistration, SpecificRecord> loop = start(kit);
        try {
            await("two alignment events", Duration.ofSeconds(60), () -> events(kit.alignments, AlignmentEvent.class).size() == 2);
        } finally {
            loop.shutdown();
            assertThat(loop.awaitTermination(Duration.ofSeconds(30))).isTrue();
        }
        List<AlignmentEvent> events = events(kit.alignments, AlignmentEvent.class);
        assertThat(records(kit.alignments)).allSatisfy(r -> assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("tiny-llama"));
        AlignmentEvent event = events.get(0);
        assertThat(event.getRegistrationId()).isEqualTo(reg.getRegistrationId());
        assertThat(event.getAlignmentId()).isEqualTo(RegistrationAligner.alignmentId(reg.getRegistrationId()))
                .isEqualTo(events.get(1).getAlignmentId());
        assertThat(event.getBaseUri()).isEqualTo(reg.getBaseUri());
        assertThat(event.getBaseModelName()).isEqualTo("org/tiny-llama");
        assertThat(event.getTargetModules()).containsExactly("q_proj", "v_proj");
        assertThat(event.getOutcome()).isInstanceOf(AlignmentReady.class);
        AlignmentReady ready = (AlignmentReady) event.getOutcome();
        AlignmentReady again = (AlignmentReady) events.get(1).getOutcome();
        assertThat(again.getAlignmentUri()).isEqualTo(ready.getAlignmentUri());
        assertThat(again.getModules()).isEqualTo(ready.getModules());
        assertThat(again.getBaseFingerprint()).isEqualTo(ready.getBaseFingerprint());

        URI expectedUri = URI.create(kit.artifactsRoot() + "alignments/tiny-llama/" + reg.getRegistrationId());
        assertThat(URI.create(ready.getAlignmentUri())).isEqualTo(expectedUri);
        assertThat(ready.getBaseFingerprint()).matches("[0-9a-f]{64}").isNotEqualTo(ready.getAlignedFingerprint());
        // q_proj and v_proj of 2 layers, in module order, with the shapes of the model
        assertThat(ready.getModules()).extracting(AlignedModule::getModule).containsExactly(
                "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj");
        assertThat(ready.getModules()).allSatisfy(m -> {
            assertThat(m.getRows()).isEqualTo(32);
            assertThat(m.getColumns()).isEqualTo(32);
        });

        // The stored V is aligned - base, computed here independently from the two checkpoints.
        try (AlignmentArtifact artifact = AlignmentArtifact.open(FileArtifactStore.pathOf(expectedUri));
             Checkpoint b = Checkpoint.open(base); Checkpoint a = Checkpoint.open(aligned)) {
            for (AlignedModule m : ready.getModules()) {
                float[] w0 = b.floats(m.getModule() + ".weight");
                float[] w1 = a.floats(m.getModule() + ".weight");
                float[] v = artifact.load(m.getModule()).v();
                double norm = 0;
                for (int i = 0; i < v.length; i++) {
                    assertThat(v[i]).isEqualTo(w1[i] - w0[i]);
                    norm += (double) (w1[i] - w0[i]) * (w1[i] - w0[i]);
                }
                assertThat(m.getFrobeniusNorm()).isCloseTo(Math.sqrt(norm), within(1e-9 * Math.sqrt(norm) + 1e-12));
                assertThat(m.getFrobeniusNorm()).isGreaterThan(0);
            }
        }
    }

    @Test
    void badCheckpointsBecomeAlignmentFailedWithTheReasonAndAPoisonPillGoesToTheDlq() throws Exception {
        Path other = work.resolve("other-shape");
        TinyModels.write(other, SHAPE.withSize(48, 64, 4, 4), 3);
        Path nan = work.resolve("nan");
        withOneNaN(aligned, nan, "model.layers.1.self_attn.v_proj.weight", 5);
        Path missing = work.resolve("does-not-exist");

        WorkerStageKit kit = new WorkerStageKit("alignment", work);
        kit.produce("a", registration("a", base, missing));
        kit.produceBytes("poison", "{\"family\": \"not avro\"}".getBytes(StandardCharsets.UTF_8));
        kit.produce("b", registration("b", base, other));
        kit.produce("c", registration("c", base, nan));
        LongJobLoop<ModelRegistration, SpecificRecord> loop = start(kit);
        try {
            await("three alignment events", Duration.ofSeconds(60), () -> events(kit.alignments, AlignmentEvent.class).size() == 3);
            kit.awaitCommitted(4, Duration.ofSeconds(20));
        } finally {
            loop.shutdown();
            assertThat(loop.awaitTermination(Duration.ofSeconds(30))).isTrue();
        }
        List<AlignmentEvent> events = events(kit.alignments, AlignmentEvent.class);
        assertThat(events).extracting(AlignmentEvent::getFamily).containsExactly("a", "b", "c");
        assertThat(events).allSatisfy(e -> assertThat(e.getOutcome()).isInstanceOf(AlignmentFailed.class));
        AlignmentFailed notFound = (AlignmentFailed) events.get(0).getOutcome();
        assertThat(notFound.getErrorCode()).isEqualTo(AlignmentErrorCode.CHECKPOINT_NOT_FOUND);
        assertThat(notFound.getReason()).contains("aligned checkpoint").contains(missing.toString());
        AlignmentFailed mismatch = (AlignmentFailed) events.get(1).getOutcome();
        assertThat(mismatch.getErrorCode()).isEqualTo(AlignmentErrorCode.SHAPE_MISMATCH);
        assertThat(mismatch.getReason()).contains("model.layers.0.self_attn.q_proj.weight").contains("[32, 32]").contains("[48, 48]");
        AlignmentFailed nonFinite = (AlignmentFailed) events.get(2).getOutcome();
        assertThat(nonFinite.getErrorCode()).isEqualTo(AlignmentErrorCode.NON_FINITE_WEIGHTS);
        assertThat(nonFinite.getReason()).contains("model.layers.1.self_attn.v_proj.weight").contains("NaN");
        assertThat(Files.exists(FileArtifactStore.pathOf(kit.artifactsRoot()).resolve("alignments/c")))
                .as("no partial artifact for a failed alignment").isFalse();

        List<ConsumerRecord<byte[], byte[]>> dlq = records(kit.input + ".dlq");
        assertThat(dlq).hasSize(1);
        assertThat(new String(dlq.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("poison");
        assertThat(DeadLetters.header(dlq.get(0).headers(), DeadLetters.CAUSE)).isEqualTo("DESERIALIZATION");
    }

    /** A copy of a checkpoint directory with one NaN in one tensor. */
    private static void withOneNaN(Path from, Path to, String tensor, int index) throws Exception {
        Files.createDirectories(to);
        SafetensorsWriter out = new SafetensorsWriter();
        try (Checkpoint c = Checkpoint.open(from)) {
            for (String name : c.names().stream().sorted().toList()) {
                float[] w = c.floats(name);
                if (name.equals(tensor)) {
                    w[index] = Float.NaN;
                }
                out.addFloats(name, c.info(name).shape(), w);
            }
        }
        out.write(to.resolve("model.safetensors"));
        Files.copy(from.resolve("config.json"), to.resolve("config.json"));
    }
}
