package dev.safelora.planner;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.AlignmentRef;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.ProjectionJob;
import dev.safelora.schema.SelectionMode;
import dev.safelora.schema.SelectionPolicy;
import dev.safelora.schema.TrainingJob;
import dev.safelora.schema.TrainingRequest;

/**
 * Builds the planner's jobs. Every id is a name-based UUID of the job's inputs, so planning the same
 * inputs again (a replay, a rebalance) yields the same job id, adapter id and output location, and
 * the trainer's idempotence checks can recognise the job.
 */
final class JobFactory {

    /** {@code requestedBy} of the training requests the planner derives for re-training. */
    static final String RETRAIN_REQUESTER = "retrain-loop";

    private final String artifactsUri;

    /** @param artifactsUri root of the artifact store; jobs write under {@code <root>/adapters/<adapter id>} */
    JobFactory(String artifactsUri) {
        this.artifactsUri = artifactsUri.endsWith("/") ? artifactsUri.substring(0, artifactsUri.length() - 1) : artifactsUri;
    }

    /** THRESHOLD 0.5: the policy of a family nobody set one for. */
    static SelectionPolicy defaultPolicy() {
        return SelectionPolicy.newBuilder().setMode(SelectionMode.THRESHOLD).setThreshold(0.5).setTopK(null)
                .setLayers(List.of()).setModules(List.of()).build();
    }

    static AlignmentRef ref(AlignmentEvent alignment) {
        AlignmentReady ready = (AlignmentReady) alignment.getOutcome();
        return AlignmentRef.newBuilder()
                .setAlignmentId(alignment.getAlignmentId())
                .setRegistrationId(alignment.getRegistrationId())
                .setAlignmentUri(ready.getAlignmentUri())
                .setBaseUri(alignment.getBaseUri())
                .setAlignedUri(alignment.getAlignedUri())
                .setBaseModelName(alignment.getBaseModelName())
                .build();
    }

    /** The adapter a request publishes when trained against {@code alignment}. */
    static String adapterIdFor(String requestId, UUID alignmentId) {
        return nameUuid("adapter", requestId, alignmentId.toString()).toString();
    }

    TrainingJob training(TrainingRequest request, AlignmentEvent alignment, SelectionPolicy selection,
                         LineageReason reason, String previousAdapterId, Instant plannedAt) {
        String adapterId = adapterIdFor(request.getRequestId(), alignment.getAlignmentId());
        return TrainingJob.newBuilder()
                .setJobId(nameUuid("training-job", request.getRequestId(), alignment.getAlignmentId().toString()))
                .setRequestId(request.getRequestId())
                .setAdapterId(adapterId)
                .setFamily(request.getFamily())
                .setRequest(request)
                .setAlignment(ref(alignment))
                .setSelection(selection)
                .setOutputUri(outputUri(adapterId))
                .setReason(reason)
                .setPreviousAdapterId(previousAdapterId)
                .setPlannedAt(plannedAt)
                .build();
    }

    /**
     * The request that re-trains {@code previous} on the family's new base: the original request's data
     * and hyperparameters under a new request id derived from the adapter and the alignment.
     */
    static TrainingRequest retrainRequest(TrainingRequest original, AdapterPublished previous, AlignmentEvent alignment,
                                          Instant requestedAt) {
        return TrainingRequest.newBuilder(original)
                .setRequestId(nameUuid("retrain", previous.getAdapterId(), alignment.getAlignmentId().toString()).toString())
                .setRetrainOf(previous.getAdapterId())
                .setRequestedBy(RETRAIN_REQUESTER)
                .setRequestedAt(requestedAt)
                .build();
    }

    ProjectionJob projection(AdapterPublished source, AlignmentRef alignment, SelectionPolicy selection,
                             LineageReason reason, Instant plannedAt) {
        String adapterId = nameUuid("projection", source.getAdapterId(), alignment.getAlignmentId().toString(),
                selection.toString()).toString();
        return ProjectionJob.newBuilder()
                .setJobId(nameUuid("projection-job", adapterId))
                .setSourceAdapterId(source.getAdapterId())
                .setAdapterId(adapterId)
                .setRequestId(source.getRequestId())
                .setFamily(source.getFamily())
                .setRawAdapterUri(source.getRawAdapterUri())
                .setAlignment(alignment)
                .setSelection(selection)
                .setOutputUri(outputUri(adapterId))
                .setReason(reason)
                .setPlannedAt(plannedAt)
                .build();
    }

    private String outputUri(String adapterId) {
        return artifactsUri + "/adapters/" + adapterId;
    }

    private static UUID nameUuid(String... parts) {
        return UUID.nameUUIDFromBytes(String.join("\u0000", parts).getBytes(StandardCharsets.UTF_8));
    }
}
