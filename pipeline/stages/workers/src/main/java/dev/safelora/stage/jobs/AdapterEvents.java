package dev.safelora.stage.jobs;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.projection.ModuleResult;
import dev.safelora.projection.ProjectionReport;
import dev.safelora.schema.AdapterFormat;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AutoSelection;
import dev.safelora.schema.AutoStep;
import dev.safelora.schema.AutoStopReason;
import dev.safelora.schema.AlignmentRef;
import dev.safelora.schema.EvaluationCompleted;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.LoraSettings;
import dev.safelora.schema.ModuleEvaluation;
import dev.safelora.schema.PhaseTimings;
import dev.safelora.schema.SelectionPolicy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builds the {@code AdapterPublished} and {@code EvaluationCompleted} events of a projected adapter. */
public final class AdapterEvents {

    private AdapterEvents() {
    }

    /** Where an adapter came from and what it applies to. */
    public record Lineage(String adapterId, String requestId, String family, AlignmentRef alignment, SelectionPolicy selection,
                          String previousAdapterId, LineageReason reason, Map<String, String> labels) {
    }

    /** Where the stage wrote the artifacts. */
    public record Locations(URI projected, String projectedSha256, URI raw, URI report) {
    }

    /** The evaluation of the raw ("before") and projected ("after") adapter; any part may be absent. */
    public record Metrics(Double trainLoss, Double heldOutLossBefore, Double heldOutLossAfter,
                          Map<String, Double> taskBefore, Map<String, Double> taskAfter,
                          Map<String, Double> safetyBefore, Map<String, Double> safetyAfter) {
        public static Metrics none() {
            return new Metrics(null, null, null, Map.of(), Map.of(), Map.of(), Map.of());
        }
    }

    public static AdapterPublished adapterPublished(Lineage lineage, Locations at, LoraSettings lora, ProjectionReport report,
                                                    Instant publishedAt) {
        return AdapterPublished.newBuilder()
                .setAdapterId(lineage.adapterId())
                .setRequestId(lineage.requestId())
                .setFamily(lineage.family())
                .setUri(at.projected().toString())
                .setSha256(at.projectedSha256())
                .setFormat(AdapterFormat.PEFT_SAFETENSORS)
                .setRawAdapterUri(at.raw().toString())
                .setBaseUri(lineage.alignment().getBaseUri())
                .setAlignment(lineage.alignment())
                .setLora(lora)
                .setSelection(lineage.selection())
                .setProjectedModules(report.modules().stream().filter(ModuleResult::projected).map(ModuleResult::name).toList())
                .setPreviousAdapterId(lineage.previousAdapterId())
                .setReason(lineage.reason() == null ? LineageReason.OTHER : lineage.reason())
                .setReportUri(at.report() == null ? null : at.report().toString())
                .setPublishedAt(publishedAt)
                .setLabels(lineage.labels() == null ? Map.of() : lineage.labels())
                .build();
    }

    public static EvaluationCompleted evaluationCompleted(Lineage lineage, ProjectionReport report, Metrics metrics,
                                                          PhaseTimings timings, Instant completedAt) {
        List<ModuleEvaluation> modules = report.modules().stream()
                .map(m -> ModuleEvaluation.newBuilder().setModule(m.name()).setCosine(m.cosine()).setProjected(m.projected())
                        .setSignedScore(m.signedScore()).setNormRatio(m.normRatio()).build())
                .toList();
        return EvaluationCompleted.newBuilder()
                .setEvaluationId(UUID.nameUUIDFromBytes(("evaluation:" + lineage.adapterId()).getBytes(StandardCharsets.UTF_8)))
                .setAdapterId(lineage.adapterId())
                .setRequestId(lineage.requestId())
                .setFamily(lineage.family())
                .setModules(modules)
                .setPdst(report.pdst())
                .setRemedy(SelectionPolicies.toAvro(dev.safelora.projection.Remedy.fromCliName(report.remedy())))
                .setAutoSelection(report.auto() == null ? null : autoSelection(report.auto()))
                .setTrainLoss(metrics.trainLoss())
                .setHeldOutLossBefore(metrics.heldOutLossBefore())
                .setHeldOutLossAfter(metrics.heldOutLossAfter())
                .setTaskMetricsBefore(metrics.taskBefore())
                .setTaskMetricsAfter(metrics.taskAfter())
                .setSafetyMetricsBefore(metrics.safetyBefore())
                .setSafetyMetricsAfter(metrics.safetyAfter())
                .setTimings(timings)
                .setCompletedAt(completedAt)
                .build();
    }

    /** An AUTO search as the evaluation event carries it. */
    static AutoSelection autoSelection(dev.safelora.projection.AutoSelection.Result search) {
        return AutoSelection.newBuilder()
                .setChosenK(search.chosenK())
                .setStopReason(AutoStopReason.valueOf(search.stopReason().name()))
                .setEpsilon(search.epsilon())
                .setDelta(search.delta())
                .setTargetRefusal(search.targetRefusal())
                .setRawTaskAccuracy(search.rawTaskAccuracy())
                .setCurve(search.curve().stream()
                        .map(s -> AutoStep.newBuilder().setK(s.k()).setRefusalRate(s.refusalRate()).setTaskAccuracy(s.taskAccuracy()).build())
                        .toList())
                .build();
    }

    /** The LoRA settings of an adapter as the event carries them. */
    public static LoraSettings loraSettings(LoraConfig config) {
        return LoraSettings.newBuilder()
                .setR(config.r())
                .setAlpha(config.alpha())
                .setDropout(config.dropout())
                .setTargetModules(config.targetModules())
                .setRsLora(config.rsLora())
                .build();
    }
}
