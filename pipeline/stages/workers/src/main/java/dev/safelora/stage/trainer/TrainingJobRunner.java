package dev.safelora.stage.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.files.Digests;
import dev.safelora.alignment.AlignmentArtifact;
import dev.safelora.evaluation.AutoSelectionRunner;
import dev.safelora.evaluation.EvaluationConfig;
import dev.safelora.evaluation.EvaluationJob;
import dev.safelora.evaluation.EvaluationListener;
import dev.safelora.evaluation.EvaluationReport;
import dev.safelora.evaluation.KeywordJudge;
import dev.safelora.projection.Selection;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.projection.Remedy;
import dev.safelora.projection.SafeLoraProjector;
import dev.safelora.schema.EvaluationCompleted;
import dev.safelora.schema.SelectionMode;
import dev.safelora.schema.PhaseTimings;
import dev.safelora.schema.TrainingJob;
import dev.safelora.schema.TrainingPhase;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.stage.BadInputException;
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
import dev.safelora.model.CausalLm;
import dev.safelora.model.ComputeDevice;
import dev.safelora.model.DeviceFailure;
import dev.safelora.stage.ProcessFaultException;
import dev.safelora.stage.jobs.StageArtifacts;
import dev.safelora.stage.jobs.WorkerSettings;
import dev.safelora.training.LoraTrainer;
import dev.safelora.training.StopSignal;
import dev.safelora.training.TrainingConfig;
import dev.safelora.training.TrainingResult;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training job, start to publish: train a LoRA on the family's base checkpoint (or its aligned checkpoint, with
 * {@code stage.train.from=aligned}: SafeLoRA's setting, see {@link WorkerSettings}), project it with the
 * job's alignment and selection, evaluate the raw and the projected adapter, store everything under the
 * job's {@code outputUri} and return the {@code AdapterPublished}, {@code EvaluationCompleted} and COMPLETED
 * progress events for the loop to publish (progress events go out while it trains).
 *
 * <p>Store layout under {@code outputUri}: {@code raw/} (PEFT adapter + training log), {@code training.json}
 * (final loss, steps, tokens, time), {@code projected/} (PEFT adapter + {@code safelora_report.json}),
 * {@code report.json} (training, projection, and both evaluations), {@code published.json}
 * ({@link PublishedOutputs}).
 *
 * <p>Redelivery: {@link PublishedOutputs} decides first (publish nothing / the stored events again); a raw
 * adapter already stored is reused instead of retrained; a run interrupted by a shutdown or crash resumes
 * from its latest checkpoint in the stage's work dir ({@code runs/<adapter>/train}).
 */
public final class TrainingJobRunner implements LongJob<TrainingJob, SpecificRecord> {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingJobRunner.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final String RAW = "raw";
    static final String TRAINING_SUMMARY = "training.json";
    static final String REPORT = "report.json";

    private final StageArtifacts artifacts;
    private final WorkerSettings settings;
    private final Path runsDir;
    private final ComputeDevice device;

    /** @param device checked once when the stage starts (a node without a working GPU never takes a job) */
    public TrainingJobRunner(StageArtifacts artifacts, WorkerSettings settings, Path runsDir, ComputeDevice device) {
        this.artifacts = artifacts;
        this.settings = settings;
        this.runsDir = runsDir;
        this.device = device;
    }

    /** What training left behind (stored as {@value #TRAINING_SUMMARY}). */
    record TrainingSummary(double finalLoss, long steps, long tokens, long trainingMs) {
    }

    @Override
    public List<Output<SpecificRecord>> run(InputRecord<TrainingJob> record, JobContext<SpecificRecord> context) throws Exception {
        TrainingJob job = record.value();
        URI prefix = artifacts.output(job.getOutputUri(), "outputUri");
        URI markerUri = PublishedOutputs.location(artifacts, prefix);
        Optional<List<Output<SpecificRecord>>> earlier = PublishedOutputs.earlierOutputs(artifacts, markerUri, record,
                job.getAdapterId(), context.scratchDir());
        if (earlier.isPresent()) {
            return earlier.get(); // published before: no work to do again
        }
        StopSignal stop = new StopSignal();
        TrainingProgressReporter progress = new TrainingProgressReporter(context, settings.progressTopic(), job.getRequestId(),
                job.getJobId(), job.getAdapterId(), settings.progressInterval(), stop);
        try {
            return work(record, job, prefix, markerUri, progress, stop, context);
        } catch (JobCancelledException e) {
            throw e;
        } catch (Exception e) {
            if (DeviceFailure.isDeviceFailure(e)) {
                // The node's fault, not the job's: end the process (training checkpointed what it could), never
                // retry on this possibly poisoned CUDA context, never dead-letter.
                throw new ProcessFaultException("training job " + job.getJobId() + " hit a device failure on " + device + ": "
                        + Failures.describe(e), e);
            }
            if (Failures.standard().endsTheRecord(e, context)) {
                progress.phase(TrainingPhase.FAILED, Failures.describe(e));
            }
            throw e;
        }
    }

    private List<Output<SpecificRecord>> work(InputRecord<TrainingJob> record, TrainingJob job, URI prefix, URI markerUri,
                                              TrainingProgressReporter progress, StopSignal stop,
                                              JobContext<SpecificRecord> context) throws Exception {
        long start = System.nanoTime();
        TrainingRequest request = job.getRequest();
        progress.phase(TrainingPhase.STARTED, "adapter " + job.getAdapterId() + " for request " + job.getRequestId());
        boolean auto = job.getSelection() != null && job.getSelection().getMode() == SelectionMode.AUTO;
        Selection selection = auto ? null : SelectionPolicies.toSelection(job.getSelection());
        Remedy remedy = SelectionPolicies.remedy(job.getSelection());
        int subspaceRank = SelectionPolicies.subspaceRank(job.getSelection());
        TrainingConfig config = TrainingConfigs.from(request, settings);
        Path runDir = runsDir.resolve(Digests.sha256Hex(job.getAdapterId()).substring(0, 24));

        boolean fromAligned = settings.trainFrom() == WorkerSettings.TrainFrom.ALIGNED;
        progress.phase(TrainingPhase.LOADING, "resolving the " + (fromAligned ? "aligned" : "base") + " checkpoint and data sets");
        // baseDir: the checkpoint fine-tuned and evaluated on (stage.train.from), the base unless the stage says aligned
        Path baseDir = fromAligned
                ? artifacts.local(artifacts.input(job.getAlignment().getAlignedUri(), "alignment.alignedUri"), "aligned checkpoint")
                : artifacts.local(artifacts.input(job.getAlignment().getBaseUri(), "alignment.baseUri"), "base checkpoint");
        Path dataset = artifacts.local(artifacts.input(request.getDatasetUri(), "request.datasetUri"), "dataset");
        Path evaluationSet = request.getEvaluationSetUri() == null ? null
                : artifacts.local(artifacts.input(request.getEvaluationSetUri(), "request.evaluationSetUri"), "evaluation set");
        Path safetySet = request.getSafetyEvaluationSetUri() == null ? null
                : artifacts.local(artifacts.input(request.getSafetyEvaluationSetUri(), "request.safetyEvaluationSetUri"), "safety set");
        EvaluationData data = EvaluationData.prepare(dataset, evaluationSet, safetySet, runDir.resolve("data"));
        Path validationSafety = null;
        if (auto) {
            EvaluationData.AutoSplit split = data.splitForAuto(runDir.resolve("data"));
            validationSafety = split.validationSafety();
            data = split.reported();
        }
        ProjectionPlan plan = new ProjectionPlan(auto, selection, remedy, subspaceRank, validationSafety);

        Evaluated done;
        // One model per job, freed when the job ends: trained on, then evaluated with the raw and the
        // projected adapter swapped in (a 7B model is ~13.5 GB of weights; a copy per phase would not fit).
        try (CausalLm model = loadBase(baseDir)) {
            done = trainAndEvaluate(model, record, job, prefix, runDir, baseDir, data, config, plan, progress, stop, context);
        }
        TrainingSummary summary = done.summary();
        ProjectionStep.Projected projected = done.projected();
        EvaluationReport before = done.before();
        EvaluationReport after = done.after();
        long projectionMs = done.projectionMs();
        long evaluationMs = done.evaluationMs();
        URI rawUri = artifacts.child(prefix, RAW);

        URI reportUri = artifacts.child(prefix, REPORT);
        Path reportFile = runDir.resolve(REPORT);
        writeReport(reportFile, job, summary, projected, before, after);
        artifacts.put(reportFile, reportUri);

        progress.phase(TrainingPhase.PUBLISHING, "publishing " + projected.uri());
        AdapterEvents.Lineage lineage = new AdapterEvents.Lineage(job.getAdapterId(), job.getRequestId(), job.getFamily(),
                job.getAlignment(), job.getSelection(), job.getPreviousAdapterId(), job.getReason(), request.getLabels());
        Instant now = Instant.now();
        AdapterPublished published = AdapterEvents.adapterPublished(lineage,
                new AdapterEvents.Locations(projected.uri(), projected.sha256(), rawUri, reportUri), request.getLora(),
                projected.report(), now);
        AdapterEvents.Metrics metrics = new AdapterEvents.Metrics(summary.finalLoss(),
                before.heldout() == null ? null : before.heldout().loss(), after.heldout() == null ? null : after.heldout().loss(),
                taskMetrics(before), taskMetrics(after), safetyMetrics(before), safetyMetrics(after));
        EvaluationCompleted evaluation = AdapterEvents.evaluationCompleted(lineage, projected.report(), metrics,
                new PhaseTimings(summary.trainingMs(), projectionMs, evaluationMs, (System.nanoTime() - start) / 1_000_000), now);
        List<Output<SpecificRecord>> outputs = List.of(
                Output.of(settings.adaptersTopic(), job.getAdapterId(), published),
                Output.of(settings.evaluationsTopic(), job.getAdapterId(), evaluation),
                progress.output(TrainingPhase.COMPLETED, "published " + projected.uri()));
        PublishedOutputs.write(artifacts, markerUri, record, job.getAdapterId(), outputs, runDir);
        LOG.info("training job {}: adapter {} at {} ({} of {} modules projected)", job.getJobId(), job.getAdapterId(), projected.uri(),
                projected.report().projectedCount(), projected.report().modules().size());
        FileTrees.deleteQuietly(runDir);
        return outputs;
    }

    /** How the trained adapter is projected: a fixed selection, or AUTO with its validation harmful set. */
    private record ProjectionPlan(boolean auto, Selection selection, Remedy remedy, int subspaceRank, Path validationSafety) {
    }

    /** What the model was needed for: the trained raw adapter, its projection, and both evaluations. */
    private record Evaluated(TrainingSummary summary, ProjectionStep.Projected projected, EvaluationReport before,
                             EvaluationReport after, long projectionMs, long evaluationMs) {
    }

    private Evaluated trainAndEvaluate(CausalLm model, InputRecord<TrainingJob> record, TrainingJob job, URI prefix, Path runDir,
                                       Path baseDir, EvaluationData data, TrainingConfig config, ProjectionPlan plan,
                                       TrainingProgressReporter progress, StopSignal stop, JobContext<SpecificRecord> context)
            throws Exception {
        URI rawUri = artifacts.child(prefix, RAW);
        URI summaryUri = artifacts.child(prefix, TRAINING_SUMMARY);
        Path rawLocal;
        TrainingSummary summary;
        if (artifacts.exists(artifacts.child(rawUri, PeftAdapter.WEIGHTS_FILE)) && artifacts.exists(summaryUri)) {
            LOG.info("training job {}: raw adapter already stored at {}; not training again", job.getJobId(), rawUri);
            rawLocal = artifacts.local(rawUri, "raw adapter");
            summary = JSON.readValue(artifacts.local(summaryUri, "training summary").toFile(), TrainingSummary.class);
        } else {
            long trainStart = System.nanoTime();
            TrainingResult result;
            JobBudget budget = new JobBudget(settings.jobMaxSteps(), settings.jobMaxDuration(), stop);
            try {
                // base_model_name_or_path: the name serving loads the base by, else the base URI (never this node's path)
                // (fine-tuned from the aligned checkpoint: its URI, as no serving name for it is registered)
                String baseName = settings.trainFrom() == WorkerSettings.TrainFrom.ALIGNED ? job.getAlignment().getAlignedUri()
                        : job.getAlignment().getBaseModelName() != null ? job.getAlignment().getBaseModelName() : job.getAlignment().getBaseUri();
                result = new dev.safelora.training.TrainingJob(baseDir, data.train(), runDir.resolve("train"), config, true, false,
                        baseName).run(model, dev.safelora.training.TrainingListener.all(List.of(progress, budget)), stop);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new BadInputException(BadInputException.Cause.PROCESSING, "training failed: " + e.getMessage(), e);
            }
            if (result.stopped() && budget.exceeded() != null) {
                throw new BadInputException(BadInputException.Cause.PROCESSING, "training stopped: " + budget.exceeded());
            }
            if (result.stopped()) {
                LOG.info("training job {}: stopped at step {} of {}; checkpoint {}", job.getJobId(), result.steps(), result.totalSteps(),
                        result.checkpointDir());
                throw new JobCancelledException(context.cancelReason().orElse(JobContext.CancelReason.SHUTDOWN));
            }
            summary = new TrainingSummary(result.finalLoss(), result.steps(), result.tokens(), (System.nanoTime() - trainStart) / 1_000_000);
            rawLocal = runDir.resolve(RAW);
            Files.createDirectories(rawLocal);
            for (String file : List.of(PeftAdapter.CONFIG_FILE, PeftAdapter.WEIGHTS_FILE, LoraTrainer.LOG_FILE)) {
                Files.copy(result.adapterDir().resolve(file), rawLocal.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
            artifacts.put(rawLocal, rawUri);
            Path summaryFile = runDir.resolve(TRAINING_SUMMARY);
            JSON.writeValue(summaryFile.toFile(), summary);
            artifacts.put(summaryFile, summaryUri);
        }
        context.checkCancelled();

        model.removeLora();
        model.device().releaseCachedMemory();
        progress.phase(TrainingPhase.PROJECTING, "projecting with alignment " + job.getAlignment().getAlignmentId());
        long projectStart = System.nanoTime();
        PeftAdapter raw = ProjectionStep.readAdapter(rawLocal, "raw adapter " + rawUri);
        EvaluationConfig evalConfig = new EvaluationConfig(config.template(), settings.evalMaxNewTokens(),
                KeywordJudge.DEFAULT_REFUSAL_PHRASES, config.batchSize(), config.maxSeqLen());
        URI alignmentUri = artifacts.input(job.getAlignment().getAlignmentUri(), "alignment.alignmentUri");
        ProjectionStep.Projected projected;
        if (plan.auto()) {
            progress.phase(TrainingPhase.PROJECTING, "AUTO selection: evaluating K = 0, 1, ... with remedy " + plan.remedy().cliName());
            Path alignedDir = artifacts.local(artifacts.input(job.getAlignment().getAlignedUri(), "alignment.alignedUri"),
                    "aligned checkpoint");
            AutoSelectionRunner.Setup setup = new AutoSelectionRunner.Setup(baseDir, alignedDir, plan.validationSafety(),
                    data.task() ? data.heldout() : null, evalConfig, settings.device());
            SafeLoraProjector.Result result;
            try (AlignmentArtifact alignment = AlignmentArtifact.open(artifacts.local(alignmentUri, "alignment artifact"))) {
                result = AutoSelectionRunner.run(raw, rawLocal, alignment, plan.remedy(), plan.subspaceRank(),
                        job.getSelection().getAutoEpsilon(), job.getSelection().getAutoDelta(), setup, runDir.resolve("auto"),
                        k -> context.checkCancelled());
            } catch (IllegalArgumentException e) {
                throw new BadInputException(BadInputException.Cause.PROCESSING, "AUTO selection failed: " + e.getMessage(), e);
            }
            projected = ProjectionStep.store(artifacts, result, prefix, runDir.resolve("out"));
        } else {
            projected = ProjectionStep.projectAndStore(artifacts, raw, alignmentUri, plan.selection(), plan.remedy(), plan.subspaceRank(),
                    prefix, runDir.resolve("out"), context);
        }
        if (settings.exportVllm()) {
            ProjectionStep.exportForVllm(artifacts, projected, prefix, runDir.resolve("out"), settings.vllmMaxLoraRank());
        }
        long projectionMs = (System.nanoTime() - projectStart) / 1_000_000;

        progress.phase(TrainingPhase.EVALUATING, "evaluating the raw and the projected adapter");
        long evalStart = System.nanoTime();
        EvaluationListener cancellable = (phase, done, total) -> context.checkCancelled();
        model.device().releaseCachedMemory();
        EvaluationReport before = evaluate(model, baseDir, rawLocal, data, evalConfig, cancellable);
        EvaluationReport after = evaluate(model, baseDir, projected.local(), data, evalConfig, cancellable);
        long evaluationMs = (System.nanoTime() - evalStart) / 1_000_000;
        return new Evaluated(summary, projected, before, after, projectionMs, evaluationMs);
    }

    private CausalLm loadBase(Path baseDir) {
        try {
            return CausalLm.load(baseDir, device);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new BadInputException(BadInputException.Cause.PROCESSING, "loading the base checkpoint failed: " + e.getMessage(), e);
        }
    }

    private EvaluationReport evaluate(CausalLm model, Path baseDir, Path adapterDir, EvaluationData data, EvaluationConfig config,
                                      EvaluationListener listener) {
        try {
            return new EvaluationJob(baseDir, adapterDir, data.task() ? data.heldout() : null, data.safety(), data.heldout(), config,
                    model.device().spec()).run(model, listener);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(BadInputException.Cause.PROCESSING, "evaluation failed: " + e.getMessage(), e);
        }
    }

    static Map<String, Double> taskMetrics(EvaluationReport r) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (r.task() != null) {
            m.put("accuracy", r.task().accuracy());
        }
        if (r.heldout() != null) {
            m.put("perplexity", r.heldout().perplexity());
        }
        return m;
    }

    static Map<String, Double> safetyMetrics(EvaluationReport r) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (r.safety() != null) {
            m.put("refusal_rate", r.safety().refusalRate());
            m.put("attack_success_rate", r.safety().attackSuccessRate());
        }
        return m;
    }

    private static void writeReport(Path file, TrainingJob job, TrainingSummary summary, ProjectionStep.Projected projected,
                                     EvaluationReport before, EvaluationReport after) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("adapterId", job.getAdapterId());
        root.put("requestId", job.getRequestId());
        root.put("family", job.getFamily());
        root.set("training", JSON.valueToTree(summary));
        root.set("projection", JSON.valueToTree(projected.report()));
        ObjectNode evaluation = root.putObject("evaluation");
        evaluation.set("raw", JSON.readTree(before.toJson()));
        evaluation.set("projected", JSON.readTree(after.toJson()));
        Files.createDirectories(file.getParent());
        JSON.writeValue(file.toFile(), root);
    }

}
