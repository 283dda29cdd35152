package dev.safelora.stage.projector;

import dev.safelora.adapter.PeftAdapter;
import dev.safelora.projection.Selection;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.EvaluationCompleted;
import dev.safelora.schema.PhaseTimings;
import dev.safelora.schema.ProjectionJob;
import dev.safelora.schema.TrainingPhase;
import dev.safelora.stage.Failures;
import dev.safelora.stage.InputRecord;
import dev.safelora.stage.JobCancelledException;
import dev.safelora.stage.JobContext;
import dev.safelora.stage.LongJob;
import dev.safelora.stage.Output;
import dev.safelora.stage.jobs.AdapterEvents;
import dev.safelora.stage.jobs.ProgressEvents;
import dev.safelora.stage.jobs.ProjectionStep;
import dev.safelora.stage.jobs.PublishedOutputs;
import dev.safelora.stage.jobs.SelectionPolicies;
import dev.safelora.files.FileTrees;
import dev.safelora.stage.jobs.StageArtifacts;
import dev.safelora.stage.jobs.WorkerSettings;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One projection job: raw adapter + alignment + selection to a projected adapter and its events. A job
 * that can never succeed (missing adapter or alignment, a module without alignment, an impossible
 * selection) is dead-lettered with the reason, after a FAILED progress event.
 */
public final class ProjectionJobRunner implements LongJob<ProjectionJob, SpecificRecord> {

    private static final Logger LOG = LoggerFactory.getLogger(ProjectionJobRunner.class);

    private final StageArtifacts artifacts;
    private final WorkerSettings settings;

    public ProjectionJobRunner(StageArtifacts artifacts, WorkerSettings settings) {
        this.artifacts = artifacts;
        this.settings = settings;
    }

    @Override
    public List<Output<SpecificRecord>> run(InputRecord<ProjectionJob> record, JobContext<SpecificRecord> context) throws Exception {
        ProjectionJob job = record.value();
        URI prefix = artifacts.output(job.getOutputUri(), "outputUri");
        URI markerUri = PublishedOutputs.location(artifacts, prefix);
        Optional<List<Output<SpecificRecord>>> earlier = PublishedOutputs.earlierOutputs(artifacts, markerUri, record,
                job.getAdapterId(), context.scratchDir());
        if (earlier.isPresent()) {
            return earlier.get(); // published before: no work to do again
        }
        ProgressEvents progress = new ProgressEvents(context, settings.progressTopic(), job.getRequestId(), job.getJobId(), job.getAdapterId());
        long start = System.nanoTime();
        try {
            progress.phase(TrainingPhase.PROJECTING, "re-projecting " + job.getSourceAdapterId() + " (" + job.getReason() + ")");
            Selection selection = SelectionPolicies.toSelection(job.getSelection());
            URI rawUri = artifacts.input(job.getRawAdapterUri(), "rawAdapterUri");
            PeftAdapter raw = ProjectionStep.readAdapter(artifacts.local(rawUri, "raw adapter"), "raw adapter " + rawUri);
            URI alignmentUri = artifacts.input(job.getAlignment().getAlignmentUri(), "alignment.alignmentUri");
            ProjectionStep.Projected projected = ProjectionStep.projectAndStore(artifacts, raw, alignmentUri, selection,
                SelectionPolicies.remedy(job.getSelection()), SelectionPolicies.subspaceRank(job.getSelection()), prefix,
                    context.scratchDir(), context);
            if (settings.exportVllm()) {
                ProjectionStep.exportForVllm(artifacts, projected, prefix, context.scratchDir(), settings.vllmMaxLoraRank());
            }
            long projectionMs = (System.nanoTime() - start) / 1_000_000;

            AdapterEvents.Lineage lineage = new AdapterEvents.Lineage(job.getAdapterId(), job.getRequestId(), job.getFamily(),
                    job.getAlignment(), job.getSelection(), job.getSourceAdapterId(), job.getReason(), Map.of());
            Instant now = Instant.now();
            AdapterPublished published = AdapterEvents.adapterPublished(lineage,
                    new AdapterEvents.Locations(projected.uri(), projected.sha256(), rawUri, projected.reportUri()),
                    AdapterEvents.loraSettings(raw.config()), projected.report(), now);
            EvaluationCompleted evaluation = AdapterEvents.evaluationCompleted(lineage, projected.report(), AdapterEvents.Metrics.none(),
                    new PhaseTimings(0L, projectionMs, 0L, (System.nanoTime() - start) / 1_000_000), now);
            List<Output<SpecificRecord>> outputs = List.of(
                    Output.of(settings.adaptersTopic(), job.getAdapterId(), published),
                    Output.of(settings.evaluationsTopic(), job.getAdapterId(), evaluation),
                    progress.output(TrainingPhase.COMPLETED, "published " + projected.uri()));
            PublishedOutputs.write(artifacts, markerUri, record, job.getAdapterId(), outputs, context.scratchDir());
            FileTrees.deleteQuietly(context.scratchDir());
            LOG.info("projection job {}: adapter {} at {}, {} of {} modules projected", job.getJobId(), job.getAdapterId(),
                    projected.uri(), projected.report().projectedCount(), projected.report().modules().size());
            return outputs;
        } catch (JobCancelledException e) {
            throw e;
        } catch (Exception e) {
            if (Failures.standard().endsTheRecord(e, context)) {
                progress.phase(TrainingPhase.FAILED, Failures.describe(e));
            }
            throw e;
        }
    }
}
