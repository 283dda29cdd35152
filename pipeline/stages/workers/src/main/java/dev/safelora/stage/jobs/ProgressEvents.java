package dev.safelora.stage.jobs;

import dev.safelora.schema.TrainingPhase;
import dev.safelora.schema.TrainingProgress;
import dev.safelora.stage.JobContext;
import dev.safelora.stage.Output;
import java.time.Instant;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;

/** Publishes a job's {@code TrainingProgress} phase changes (best effort, outside any transaction). */
public class ProgressEvents {

    protected final JobContext<SpecificRecord> context;
    protected final String topic;
    protected final String requestId;
    protected final UUID jobId;
    protected final String adapterId;

    public ProgressEvents(JobContext<SpecificRecord> context, String topic, String requestId, UUID jobId, String adapterId) {
        this.context = context;
        this.topic = topic;
        this.requestId = requestId;
        this.jobId = jobId;
        this.adapterId = adapterId;
    }

    public void phase(TrainingPhase phase, String message) {
        context.publish(Output.of(topic, requestId, event(phase, message).build()));
    }

    /** A progress event to return with the job's outputs (e.g. COMPLETED, published with the adapter). */
    public Output<SpecificRecord> output(TrainingPhase phase, String message) {
        return Output.of(topic, requestId, event(phase, message).build());
    }

    protected TrainingProgress.Builder event(TrainingPhase phase, String message) {
        return TrainingProgress.newBuilder()
                .setRequestId(requestId)
                .setJobId(jobId)
                .setAdapterId(adapterId)
                .setPhase(phase)
                .setMessage(message)
                .setReportedAt(Instant.now());
    }
}
