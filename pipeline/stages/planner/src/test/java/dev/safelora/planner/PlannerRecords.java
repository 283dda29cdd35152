package dev.safelora.planner;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.safelora.schema.AdapterFormat;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignedModule;
import dev.safelora.schema.AlignmentErrorCode;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentFailed;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.AlignmentRef;
import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.LoraSettings;
import dev.safelora.schema.OptimizerSettings;
import dev.safelora.schema.SelectionMode;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.schema.SelectionScope;
import dev.safelora.schema.TrainingJob;
import dev.safelora.schema.TrainingRequest;

/** Hand-built planner inputs for tests: small, valid, every value chosen so a test can say what to expect. */
final class PlannerRecords {

    static final Instant T0 = Instant.parse("2026-11-27T12:00:00Z");

    private PlannerRecords() {
    }

    static AlignmentEvent ready(String family, UUID alignmentId, String baseFingerprint, String alignedFingerprint) {
        return AlignmentEvent.newBuilder()
                .setAlignmentId(alignmentId)
                .setRegistrationId(UUID.nameUUIDFromBytes(("reg-" + alignmentId).getBytes()))
                .setFamily(family)
                .setBaseUri("file:///models/" + family + "/base-" + baseFingerprint)
                .setAlignedUri("file:///models/" + family + "/aligned-" + alignedFingerprint)
                .setBaseModelName("org/" + family)
                .setTargetModules(List.of("q_proj", "v_proj"))
                .setCompletedAt(T0)
                .setOutcome(AlignmentReady.newBuilder()
                        .setAlignmentUri("file:///artifacts/alignments/" + alignmentId)
                        .setBaseFingerprint(baseFingerprint)
                        .setAlignedFingerprint(alignedFingerprint)
                        .setModules(List.of(AlignedModule.newBuilder().setModule("model.layers.0.self_attn.q_proj")
                                .setRows(8).setColumns(8).setFrobeniusNorm(1.5).build()))
                        .setDurationMs(12)
                        .build())
                .build();
    }

    static AlignmentEvent failed(String family, UUID alignmentId) {
        return AlignmentEvent.newBuilder()
                .setAlignmentId(alignmentId)
                .setRegistrationId(UUID.nameUUIDFromBytes(("reg-" + alignmentId).getBytes()))
                .setFamily(family)
                .setBaseUri("file:///models/" + family + "/base-missing")
                .setAlignedUri("file:///models/" + family + "/aligned-missing")
                .setTargetModules(List.of("q_proj"))
                .setCompletedAt(T0)
                .setOutcome(AlignmentFailed.newBuilder().setReason("base checkpoint not found")
                        .setErrorCode(AlignmentErrorCode.CHECKPOINT_NOT_FOUND).build())
                .build();
    }

    static TrainingRequest request(String requestId, String family) {
        return request(requestId, family, null);
    }

    static TrainingRequest request(String requestId, String family, SelectionPolicy override) {
        return TrainingRequest.newBuilder()
                .setRequestId(requestId)
                .setFamily(family)
                .setDatasetUri("file:///data/" + requestId + ".jsonl")
                .setLora(LoraSettings.newBuilder().setR(4).setAlpha(8.0).build())
                .setOptimizer(OptimizerSettings.newBuilder().setEpochs(1).setLearningRate(1e-3).setSeed(7).build())
                .setSelection(override)
                .setRequestedBy("alice")
                .setRequestedAt(T0)
                .setLabels(Map.of("team", "search"))
                .build();
    }

    static SelectionPolicy topK(int k) {
        return SelectionPolicy.newBuilder().setMode(SelectionMode.TOP_K).setTopK(k).build();
    }

    static SelectionPolicy threshold(double tau) {
        return SelectionPolicy.newBuilder().setMode(SelectionMode.THRESHOLD).setThreshold(tau).build();
    }

    static LayerSelection familySelection(String family, SelectionPolicy policy) {
        return selection(SelectionScope.FAMILY, family, policy);
    }

    static LayerSelection adapterSelection(String adapterId, SelectionPolicy policy) {
        return selection(SelectionScope.ADAPTER, adapterId, policy);
    }

    private static LayerSelection selection(SelectionScope scope, String target, SelectionPolicy policy) {
        return LayerSelection.newBuilder()
                .setSelectionId(UUID.nameUUIDFromBytes(("sel-" + target + policy).getBytes()))
                .setScope(scope)
                .setTarget(target)
                .setPolicy(policy)
                .setRequestedBy("bob")
                .setRequestedAt(T0)
                .build();
    }

    /** What the trainer publishes for {@code job}. */
    static AdapterPublished publishedFrom(TrainingJob job) {
        return adapter(job.getAdapterId(), job.getRequestId(), job.getFamily(), job.getAlignment(), job.getSelection(),
                job.getPreviousAdapterId(), job.getReason());
    }

    static AdapterPublished adapter(String adapterId, String requestId, String family, AlignmentRef alignment,
                                    SelectionPolicy selection, String previousAdapterId, LineageReason reason) {
        return AdapterPublished.newBuilder()
                .setAdapterId(adapterId)
                .setRequestId(requestId)
                .setFamily(family)
                .setUri("file:///artifacts/adapters/" + adapterId + "/projected")
                .setSha256("00".repeat(32))
                .setFormat(AdapterFormat.PEFT_SAFETENSORS)
                .setRawAdapterUri("file:///artifacts/adapters/" + adapterId + "/raw")
                .setBaseUri(alignment.getBaseUri())
                .setAlignment(alignment)
                .setLora(LoraSettings.newBuilder().setR(4).setAlpha(8.0).build())
                .setSelection(selection)
                .setProjectedModules(List.of("model.layers.0.self_attn.q_proj"))
                .setPreviousAdapterId(previousAdapterId)
                .setReason(reason)
                .setPublishedAt(T0)
                .build();
    }
}
