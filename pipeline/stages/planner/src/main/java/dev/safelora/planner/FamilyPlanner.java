package dev.safelora.planner;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.safelora.contracts.Topic;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.ProjectionJob;
import dev.safelora.schema.SelectionMode;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.schema.TrainingJob;
import dev.safelora.schema.TrainingRequest;

/**
 * The planning decisions of one family's partition: release requests when the alignment is ready,
 * refresh the family's adapters when a new alignment arrives.
 *
 * <p>Refreshing an adapter against a new READY alignment compares it with the alignment the adapter
 * was projected with (its fingerprints from the history store; the base URI when that alignment is
 * unknown): same base fingerprint and a different aligned one - a projection job (ALIGNMENT_CHANGED,
 * seconds); a different base - a training job on the original request's data and hyperparameters
 * (BASE_CHANGED, hours); identical content - nothing. While a refresh job for an adapter is planned
 * but its adapter not yet published, further alignments leave that lineage alone: when the refreshed
 * adapter is published it is compared with the family's alignment then, and refreshed again if stale.
 * Inputs may come twice (the stages upstream publish at least once): an alignment id seen before and an
 * adapter that already has a successor, planned or published, change nothing.
 */
final class FamilyPlanner {

    private static final Logger LOG = LoggerFactory.getLogger(FamilyPlanner.class);

    private final JobFactory jobs;
    private final PlannerMetrics metrics;
    private final Output output;
    private final KeyValueStore<String, AlignmentEvent> alignments;
    private final KeyValueStore<String, AlignmentEvent> history;
    private final KeyValueStore<String, LayerSelection> policies;
    private final KeyValueStore<String, TrainingRequest> waiting;
    private final KeyValueStore<String, TrainingRequest> planned;
    private final KeyValueStore<String, AdapterPublished> familyAdapters;
    private final KeyValueStore<String, String> refreshing;

    /** Forwards a planned job from the calling processor, stamped with the time of the record that planned it. */
    interface Output {
        void forward(String key, Emit value, long timestamp);
    }

    FamilyPlanner(ProcessorContext<String, Emit> context, JobFactory jobs, PlannerMetrics metrics, Output output) {
        this.jobs = jobs;
        this.metrics = metrics;
        this.output = output;
        this.alignments = context.getStateStore(PlannerStores.ALIGNMENTS);
        this.history = context.getStateStore(PlannerStores.ALIGNMENT_HISTORY);
        this.policies = context.getStateStore(PlannerStores.POLICIES);
        this.waiting = context.getStateStore(PlannerStores.WAITING);
        this.planned = context.getStateStore(PlannerStores.PLANNED);
        this.familyAdapters = context.getStateStore(PlannerStores.FAMILY_ADAPTERS);
        this.refreshing = context.getStateStore(PlannerStores.REFRESHING);
    }

    static String[] familyStores() {
        return new String[] {PlannerStores.ALIGNMENTS, PlannerStores.ALIGNMENT_HISTORY, PlannerStores.POLICIES,
            PlannerStores.WAITING, PlannerStores.PLANNED, PlannerStores.FAMILY_ADAPTERS, PlannerStores.REFRESHING};
    }

    /** A training request (already checked): a job now if its family's alignment is ready, else it waits. */
    void request(TrainingRequest request, Instant at) {
        TrainingRequest earlier = planned.get(request.getRequestId());
        if (earlier != null && RecordChecks.replays(earlier, request)) {
            LOG.info("planner: request {} was already planned; the replay plans nothing new", request.getRequestId());
            return;
        }
        AlignmentEvent alignment = alignments.get(request.getFamily());
        if (alignment == null) {
            waiting.put(PlannerStores.familyKey(request.getFamily(), request.getRequestId()), request);
            metrics.parked();
            LOG.info("planner: request {} waits for an alignment of family {}", request.getRequestId(), request.getFamily());
            return;
        }
        planNew(request, alignment, at);
    }


    /**
     * A submitted request: NEW_TRAINING, or BASE_CHANGED with the superseded adapter as lineage when the
     * request says it re-trains one ({@code retrainOf}, e.g. written by hand or by an external retrain loop).
     */
    private void planNew(TrainingRequest request, AlignmentEvent alignment, Instant at) {
        boolean retrain = request.getRetrainOf() != null && !request.getRetrainOf().isBlank();
        planTraining(request, alignment, effectivePolicy(request), retrain ? LineageReason.BASE_CHANGED : LineageReason.NEW_TRAINING,
                retrain ? request.getRetrainOf() : null, at);
    }

    /** A READY alignment (already checked): becomes the family's alignment, releases waiting requests, refreshes adapters. */
    void alignmentReady(AlignmentEvent alignment, Instant at) {
        String family = alignment.getFamily();
        AlignmentEvent previous = alignments.get(family);
        String alignmentId = alignment.getAlignmentId().toString();
        if (previous != null && history.get(alignmentId) != null) {
            // the alignment stage is at-least-once: a re-run registration re-sends its alignment id with a later
            // completedAt; the current one or an older one, it must not move the family (and its adapters)
            LOG.info("planner: alignment {} of family {} seen before (current {}); nothing to do", alignmentId, family,
                    previous.getAlignmentId());
            return;
        }
        history.put(alignmentId, alignment);
        if (previous != null && alignment.getCompletedAt().isBefore(previous.getCompletedAt())) {
            // a late or re-sent older event must not move the family (and its adapters) back
            LOG.warn("planner: alignment {} of family {} completed at {}, before the current {} ({}); ignored",
                    alignment.getAlignmentId(), family, alignment.getCompletedAt(), previous.getAlignmentId(),
                    previous.getCompletedAt());
            return;
        }
        alignments.put(family, alignment);
        for (KeyValue<String, TrainingRequest> entry : scan(waiting, family)) {
            waiting.delete(entry.key);
            planNew(entry.value, alignment, at);
        }
        for (KeyValue<String, AdapterPublished> entry : scan(familyAdapters, family)) {
            if (refreshing.get(entry.value.getAdapterId()) != null) {
                LOG.info("planner: adapter {} already has a refresh in flight; it is compared again when published",
                        entry.value.getAdapterId());
                continue;
            }
            refresh(entry.value, alignment, at);
        }
    }

    /** A published adapter (already checked): becomes the head of its lineage, and is refreshed at once if stale. */
    void adapterPublished(AdapterPublished adapter, Instant at) {
        String family = adapter.getFamily();
        if (refreshing.get(adapter.getAdapterId()) != null) {
            // workers publish at least once: this adapter was seen and already has a successor, planned or published
            LOG.info("planner: adapter {} published again; it already has a successor", adapter.getAdapterId());
            return;
        }
        if (adapter.getPreviousAdapterId() != null) {
            familyAdapters.delete(PlannerStores.familyKey(family, adapter.getPreviousAdapterId()));
            // kept, not deleted: a late copy of the superseded adapter must not become a lineage head again
            refreshing.putIfAbsent(adapter.getPreviousAdapterId(), adapter.getAlignment().getAlignmentId().toString());
        }
        familyAdapters.put(PlannerStores.familyKey(family, adapter.getAdapterId()), adapter);
        AlignmentEvent current = alignments.get(family);
        if (current != null && !current.getAlignmentId().equals(adapter.getAlignment().getAlignmentId())) {
            LOG.info("planner: adapter {} was published with alignment {}, but family {} is now on {}",
                    adapter.getAdapterId(), adapter.getAlignment().getAlignmentId(), family, current.getAlignmentId());
            refresh(adapter, current, at);
        }
    }

    private void refresh(AdapterPublished adapter, AlignmentEvent alignment, Instant at) {
        AlignmentReady now = (AlignmentReady) alignment.getOutcome();
        AlignmentEvent then = history.get(adapter.getAlignment().getAlignmentId().toString());
        boolean baseChanged;
        if (then != null) {
            AlignmentReady old = (AlignmentReady) then.getOutcome();
            baseChanged = !old.getBaseFingerprint().equals(now.getBaseFingerprint());
            if (!baseChanged && old.getAlignedFingerprint().equals(now.getAlignedFingerprint())) {
                LOG.info("planner: alignment {} has the same checkpoints as {} of adapter {}; no refresh",
                        alignment.getAlignmentId(), then.getAlignmentId(), adapter.getAdapterId());
                return;
            }
        } else {
            baseChanged = !adapter.getAlignment().getBaseUri().equals(alignment.getBaseUri());
        }
        if (baseChanged) {
            TrainingRequest original = planned.get(adapter.getRequestId());
            if (original == null) {
                LOG.warn("planner: cannot re-train adapter {} on family {}'s new base: its training request {} is unknown "
                        + "to the planner; submit a new training request with retrainOf={}", adapter.getAdapterId(),
                        adapter.getFamily(), adapter.getRequestId(), adapter.getAdapterId());
                return;
            }
            TrainingRequest retrain = JobFactory.retrainRequest(original, adapter, alignment, at);
            refreshing.put(adapter.getAdapterId(), alignment.getAlignmentId().toString());
            planTraining(retrain, alignment, adapter.getSelection(), LineageReason.BASE_CHANGED, adapter.getAdapterId(), at);
        } else {
            SelectionPolicy policy = reprojectionPolicy(adapter);
            if (policy == null) {
                LOG.info("planner: adapter {} was chosen by AUTO with no module remedied; a new aligned checkpoint changes"
                        + " nothing in it, so it is not re-projected", adapter.getAdapterId());
                return;
            }
            ProjectionJob job = jobs.projection(adapter, JobFactory.ref(alignment), policy,
                    LineageReason.ALIGNMENT_CHANGED, at);
            refreshing.put(adapter.getAdapterId(), alignment.getAlignmentId().toString());
            metrics.job(Topic.PROJECTION_JOBS.topicName(), job.getReason().name());
            LOG.info("planner: projection job {} re-projects adapter {} with alignment {} (adapter {}, {})", job.getJobId(),
                    adapter.getAdapterId(), alignment.getAlignmentId(), job.getAdapterId(), job.getReason());
            output.forward(job.getSourceAdapterId(), new Emit.Projection(job), at.toEpochMilli());
        }
    }

    /**
     * The policy a re-projection applies: the adapter's own, except that AUTO (whose search needs the model and
     * evaluation sets, which the projector does not have) becomes TOP_K with the K the search chose, with the
     * same remedy; null when that K is 0.
     */
    static SelectionPolicy reprojectionPolicy(AdapterPublished adapter) {
        SelectionPolicy policy = adapter.getSelection();
        if (policy.getMode() != SelectionMode.AUTO) {
            return policy;
        }
        int k = adapter.getProjectedModules().size();
        if (k == 0) {
            return null;
        }
        return SelectionPolicy.newBuilder(policy).setMode(SelectionMode.TOP_K).setTopK(k).build();
    }

    private void planTraining(TrainingRequest request, AlignmentEvent alignment, SelectionPolicy selection,
                              LineageReason reason, String previousAdapterId, Instant at) {
        TrainingJob job = jobs.training(request, alignment, selection, reason, previousAdapterId, at);
        planned.put(request.getRequestId(), request);
        metrics.job(Topic.TRAINING_JOBS.topicName(), reason.name());
        LOG.info("planner: training job {} for request {} (adapter {}, {})", job.getJobId(), request.getRequestId(),
                job.getAdapterId(), reason);
        output.forward(job.getRequestId(), new Emit.Training(job), at.toEpochMilli());
    }

    /** The request's own selection, else the family policy, else THRESHOLD 0.5. */
    private SelectionPolicy effectivePolicy(TrainingRequest request) {
        if (request.getSelection() != null) {
            return request.getSelection();
        }
        LayerSelection family = policies.get(request.getFamily());
        return family != null ? family.getPolicy() : JobFactory.defaultPolicy();
    }

    private static <V> List<KeyValue<String, V>> scan(KeyValueStore<String, V> store, String family) {
        List<KeyValue<String, V>> all = new ArrayList<>();
        try (KeyValueIterator<String, V> it = store.prefixScan(PlannerStores.familyPrefix(family), new StringSerializer())) {
            it.forEachRemaining(all::add);
        }
        return all;
    }
}
