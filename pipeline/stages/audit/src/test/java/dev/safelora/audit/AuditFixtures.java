package dev.safelora.audit;

import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignedModule;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.EvaluationCompleted;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.ModuleEvaluation;
import dev.safelora.schema.PhaseTimings;
import dev.safelora.schema.SelectionMode;
import dev.safelora.schema.TrainingPhase;
import dev.safelora.schema.TrainingProgress;
import dev.safelora.testkit.AvroFixtures;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Pipeline events with chosen values (the rest filled by AvroFixtures), for the audit tests. */
public final class AuditFixtures {

    public static final Instant T0 = Instant.parse("2026-11-02T10:00:00Z");

    private AuditFixtures() {}

    public static AlignmentEvent alignment(String family, UUID alignmentId) {
        AlignmentEvent e = AvroFixtures.sample(AlignmentEvent.class, 1);
        e.setAlignmentId(alignmentId);
        e.setFamily(family);
        e.setCompletedAt(T0);
        AlignmentReady ready = AvroFixtures.sample(AlignmentReady.class, 2);
        ready.setBaseFingerprint("b".repeat(64));
        ready.setAlignedFingerprint("a".repeat(64));
        ready.setModules(List.of(
                new AlignedModule("model.layers.0.self_attn.q_proj", 8, 8, 1.5),
                new AlignedModule("model.layers.1.self_attn.q_proj", 8, 8, 2.25)));
        e.setOutcome(ready);
        return e;
    }

    public static AdapterPublished adapter(String family, String adapterId, String previous, LineageReason reason,
                                           UUID alignmentId, Instant at) {
        AdapterPublished a = AvroFixtures.sample(AdapterPublished.class, 3);
        a.setAdapterId(adapterId);
        a.setRequestId("req-" + adapterId);
        a.setFamily(family);
        a.setPreviousAdapterId(previous);
        a.setReason(reason);
        a.getAlignment().setAlignmentId(alignmentId);
        a.getSelection().setMode(SelectionMode.THRESHOLD);
        a.getSelection().setThreshold(0.5);
        a.setProjectedModules(List.of("model.layers.1.self_attn.q_proj"));
        a.setPublishedAt(at);
        return a;
    }

    public static EvaluationCompleted evaluation(String family, String adapterId, double asrBefore, double asrAfter, Instant at) {
        EvaluationCompleted e = AvroFixtures.sample(EvaluationCompleted.class, 4);
        e.setEvaluationId(UUID.randomUUID());
        e.setAdapterId(adapterId);
        e.setRequestId("req-" + adapterId);
        e.setFamily(family);
        e.setModules(List.of(
                new ModuleEvaluation("model.layers.0.self_attn.q_proj", 0.875, false),
                new ModuleEvaluation("model.layers.1.self_attn.q_proj", 0.125, true)));
        e.setPdst(0.75);
        e.setTrainLoss(1.25);
        e.setTaskMetricsBefore(Map.of("accuracy", 0.8));
        e.setTaskMetricsAfter(Map.of("accuracy", 0.78));
        e.setSafetyMetricsBefore(Map.of("attack_success_rate", asrBefore, "refusal_rate", 1 - asrBefore));
        e.setSafetyMetricsAfter(Map.of("attack_success_rate", asrAfter, "refusal_rate", 1 - asrAfter));
        e.setTimings(new PhaseTimings(1000L, 20L, 300L, 1400L));
        e.setCompletedAt(at);
        return e;
    }

    public static TrainingProgress progress(String adapterId, UUID jobId, TrainingPhase phase, String message) {
        TrainingProgress p = AvroFixtures.sample(TrainingProgress.class, 5);
        p.setRequestId("req-" + adapterId);
        p.setJobId(jobId);
        p.setAdapterId(adapterId);
        p.setPhase(phase);
        p.setMessage(message);
        p.setLoss(0.5);
        p.setReportedAt(T0);
        return p;
    }
}
