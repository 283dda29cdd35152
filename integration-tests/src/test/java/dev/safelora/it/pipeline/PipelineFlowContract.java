package dev.safelora.it.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.adapter.PeftAdapter;
import dev.safelora.contracts.Topic;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.EvaluationCompleted;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.ProjectionJob;
import dev.safelora.schema.TrainingJob;
import dev.safelora.schema.TrainingPhase;
import dev.safelora.schema.TrainingProgress;
import dev.safelora.stage.DeadLetters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline end to end over a real broker and registry: every stage running from its own
 * properties file (the trainer in its own JVM), requests produced as users produce them, results read
 * back as audit and serving consumers read them, artifacts checked against an independent computation.
 * Subclasses say which cluster; every scenario uses its own family and request ids on the shared topics.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PipelineFlowContract {

    /** Generous: two CPU cores running a broker, four stages and a second JVM, possibly beside other builds. */
    static final Duration WAIT = Duration.ofMinutes(5);

    private Path root;

    private PipelineCluster cluster;
    private RunningStages stages;
    PipelineEvents events;
    private Submitter submitter;

    /** Starts the cluster this run of the contract is about. */
    abstract PipelineCluster startCluster(Path dataDir);

    @BeforeAll
    void startPipeline(@TempDir Path dir) throws Exception {
        root = dir;
        cluster = startCluster(root.resolve("cluster"));
        stages = RunningStages.start(new StageFiles(cluster.clientSettings(), root.resolve("pipeline")), root.resolve("logs"));
        events = new PipelineEvents(cluster.clientSettings());
        submitter = new Submitter(cluster.clientSettings());
    }

    @AfterAll
    void stopPipeline() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {submitter, events, stages, cluster}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void aRegistrationAndATrainingRequestBecomeOneProjectedAndEvaluatedAdapter() throws Exception {
        TinyFamily family = TinyFamily.create("it-flow", root);
        String requestId = "it-flow-1";
        submitter.submit(family.registration());
        submitter.submit(family.training(requestId, 2));

        Completed done = awaitCompleted(requestId);
        events.catchUp();

        List<AlignmentEvent> alignments = alignmentEvents(family.name);
        assertThat(alignmentIds(alignments)).as("one alignment (the stage is at-least-once: a redelivery repeats the same event)").hasSize(1);
        assertThat(alignments).allSatisfy(e -> assertThat(((AlignmentReady) e.getOutcome()).getModules()).hasSize(4)); // 2 layers x {q, v}
        List<TrainingJob> jobs = events.values(Topic.TRAINING_JOBS, TrainingJob.class, j -> j.getRequestId().equals(requestId));
        assertThat(jobs).singleElement().satisfies(j -> {
            assertThat(j.getReason()).isEqualTo(LineageReason.NEW_TRAINING);
            assertThat(j.getAdapterId()).isEqualTo(done.adapter().getAdapterId());
        });
        assertThat(phases(requestId)).containsSubsequence(TrainingPhase.STARTED, TrainingPhase.LOADING, TrainingPhase.TRAINING,
                TrainingPhase.PROJECTING, TrainingPhase.EVALUATING, TrainingPhase.PUBLISHING, TrainingPhase.COMPLETED);

        AdapterPublished adapter = done.adapter();
        assertThat(adapter.getReason()).isEqualTo(LineageReason.NEW_TRAINING);
        assertThat(adapter.getPreviousAdapterId()).isNull();
        assertThat(adapter.getFamily()).isEqualTo(family.name);
        Path projectedDir = local(adapter.getUri());
        assertThat(sha256(projectedDir.resolve(PeftAdapter.WEIGHTS_FILE))).isEqualTo(adapter.getSha256());
        List<String> projected = IndependentProjection.assertTopKProjection(PeftAdapter.read(local(adapter.getRawAdapterUri())),
                PeftAdapter.read(projectedDir), family.base, family.aligned, TinyFamily.TOP_K);
        assertThat(adapter.getProjectedModules()).containsExactlyInAnyOrderElementsOf(projected);

        EvaluationCompleted evaluation = done.evaluation();
        assertThat(evaluation.getModules()).hasSize(4);
        assertThat(evaluation.getPdst()).isBetween(0.0, 1.0);
        assertThat(evaluation.getTrainLoss()).isFinite().isPositive();
        assertThat(evaluation.getHeldOutLossBefore()).isFinite();
        assertThat(evaluation.getHeldOutLossAfter()).isFinite();
        assertThat(evaluation.getTaskMetricsBefore()).containsKey("accuracy");
        assertThat(evaluation.getSafetyMetricsAfter()).isNotEmpty();
        assertThat(events.deadLetters(Topic.TRAINING_REQUESTS, requestId)).isEmpty();
        assertThat(events.deadLetters(Topic.TRAINING_JOBS, requestId)).isEmpty();
    }

    @Test
    void onceThePipelineIsIdleEveryStageGroupHasLagZeroAsKafkasToolsComputeIt() throws Exception {
        TinyFamily family = TinyFamily.create("it-lag", root);
        String requestId = "it-lag-1";
        submitter.submit(family.registration());
        submitter.submit(family.training(requestId, 1));
        awaitCompleted(requestId);

        // Committed offset = log end offset on every partition, transaction markers included (the planner and
        // the trainer write in transactions, so an offset + 1 commit would stay one behind for good).
        awaitIdle("safelora-alignment", "safelora-planner", "safelora-trainer");
        try (GroupLag lag = new GroupLag(cluster.clientSettings())) {
            // What each stage reports on /metrics agrees with what the Admin client computes.
            for (Map.Entry<String, Integer> stage : stages.stageMetricsPorts().entrySet()) {
                Awaitility.await("the lag on /metrics of " + stage.getKey()).atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(250))
                        .untilAsserted(() -> {
                            Map<String, Long> reported = GroupLag.metricsLag(stage.getValue());
                            Map<String, Long> admin = lag.adminLag("safelora-" + stage.getKey());
                            assertThat(reported).as("lag series of " + stage.getKey()).isNotEmpty();
                            reported.forEach((tp, l) -> {
                                assertThat(l).as(stage.getKey() + " " + tp + " on /metrics").isZero();
                                // a topic the group never committed in (the projector, if no projection job came yet) has no entry
                                assertThat(admin.getOrDefault(tp, 0L)).as("Admin-computed lag of " + stage.getKey() + " " + tp).isEqualTo(l);
                            });
                        });
            }
        }
    }

    @Test
    void poisonPillsLandInTheDeadLetterTopicsAndTheNextRecordsOnTheirPartitionsAreProcessed() throws Exception {
        TinyFamily family = TinyFamily.create("it-poison", root);
        String requestId = "it-poison-1";
        byte[] garbage = "{\"family\": \"not avro at all\"}".getBytes(StandardCharsets.UTF_8);
        byte[] unknownSchema = {0, 0x7f, 0x7f, 0x7f, 0x7f, 1, 2, 3};
        // Same keys as the valid records that follow, so both land on one partition: the stage must move past the pill.
        RecordMetadata toAlignment = submitter.sendRaw(Topic.MODEL_REGISTRATIONS, family.name, garbage);
        RecordMetadata toPlanner = submitter.sendRaw(Topic.TRAINING_REQUESTS, requestId, unknownSchema);
        RecordMetadata toTrainer = submitter.sendRaw(Topic.TRAINING_JOBS, requestId, garbage);
        RecordMetadata toProjector = submitter.sendRaw(Topic.PROJECTION_JOBS, "it-poison-adapter", garbage);
        submitter.submit(family.registration());
        submitter.submit(family.training(requestId, 1));

        assertDeadLettered(Topic.MODEL_REGISTRATIONS, family.name, toAlignment, garbage, "alignment");
        assertDeadLettered(Topic.TRAINING_REQUESTS, requestId, toPlanner, unknownSchema, "planner");
        assertDeadLettered(Topic.TRAINING_JOBS, requestId, toTrainer, garbage, "trainer");
        assertDeadLettered(Topic.PROJECTION_JOBS, "it-poison-adapter", toProjector, garbage, "projector");

        Completed done = awaitCompleted(requestId);
        assertThat(alignmentEvents(family.name)).isNotEmpty().allSatisfy(e -> assertThat(e.getOutcome()).isInstanceOf(AlignmentReady.class));
        assertThat(done.adapter().getFamily()).isEqualTo(family.name);
    }

    @Test
    void aTrainingRequestBeforeItsFamilysRegistrationWaitsAndThenCompletes() throws Exception {
        TinyFamily family = TinyFamily.create("it-late", root);
        String requestId = "it-late-1";
        double parkedBefore = plannerParkedTotal();
        submitter.submit(family.training(requestId, 1));

        events.await("the planner to park " + requestId, WAIT,
                () -> plannerParkedTotal() > parkedBefore ? Optional.of(true) : Optional.empty(), () -> events.describe(requestId));
        events.catchUp();
        assertThat(events.values(Topic.TRAINING_JOBS, TrainingJob.class, j -> j.getRequestId().equals(requestId)))
                .as("no job before the family has an alignment").isEmpty();
        assertThat(events.deadLetters(Topic.TRAINING_REQUESTS, requestId)).as("waiting is not failing").isEmpty();

        submitter.submit(family.registration());
        Completed done = awaitCompleted(requestId);
        events.catchUp();
        assertThat(events.values(Topic.TRAINING_JOBS, TrainingJob.class, j -> j.getRequestId().equals(requestId))).hasSize(1);
        assertThat(done.adapter().getAlignment().getAlignmentId())
                .isEqualTo(alignmentEvents(family.name).get(0).getAlignmentId());
    }

    @Test
    void aTrainerKilledMidJobAndRestartedPublishesExactlyOneAdapterAndOneEvaluation() throws Exception {
        TinyFamily family = TinyFamily.create("it-crash", root);
        String requestId = "it-crash-1";
        int epochs = 40; // 360 optimizer steps: long enough to be caught mid-training on any machine
        submitter.submit(family.registration());
        submitter.submit(family.training(requestId, epochs));

        long killAfter = 2L * StageFiles.CHECKPOINT_EVERY + 1;
        TrainingProgress caught = events.await("training of " + requestId + " past step " + killAfter, WAIT,
                () -> last(events.values(Topic.TRAINING_PROGRESS, TrainingProgress.class,
                        p -> p.getRequestId().equals(requestId) && p.getPhase() == TrainingPhase.TRAINING && p.getStep() >= killAfter)),
                () -> events.describe(requestId) + stages.trainerLog());
        stages.trainer().kill();
        events.catchUp();
        assertThat(caught.getStep()).as("killed mid-training").isLessThan(caught.getTotalSteps());
        assertThat(events.values(Topic.ADAPTERS, AdapterPublished.class, a -> a.getRequestId().equals(requestId)))
                .as("nothing published before the kill").isEmpty();

        stages.startTrainer();
        Completed done = awaitCompleted(requestId);
        // Anything a second, duplicate attempt would publish comes before its offset commit: wait for the commits.
        awaitIdle();
        events.catchUp();
        assertThat(events.values(Topic.ADAPTERS, AdapterPublished.class, a -> a.getRequestId().equals(requestId))).hasSize(1);
        assertThat(events.values(Topic.EVALUATIONS, EvaluationCompleted.class, e -> e.getRequestId().equals(requestId))).hasSize(1);
        List<TrainingProgress> starts = events.values(Topic.TRAINING_PROGRESS, TrainingProgress.class,
                p -> p.getRequestId().equals(requestId) && p.getPhase() == TrainingPhase.STARTED);
        assertThat(starts).as("an attempt before the kill and one after").hasSizeGreaterThanOrEqualTo(2);
        long resumedAt = resumedAtStep(requestId).orElseThrow(() -> new AssertionError("the restarted trainer did not resume a checkpoint\n"
                + events.describe(requestId)));
        // The trainer checkpoints before it takes the next step, so the checkpoint at or below the step seen was on disk
        // when the kill was ordered. It may have trained and checkpointed further before SIGKILL landed (CI saw step 28
        // reported and a checkpoint at 30): the kill bounds the resumed step only by the job's end.
        long checkpointSeen = caught.getStep() / StageFiles.CHECKPOINT_EVERY * StageFiles.CHECKPOINT_EVERY;
        assertThat(resumedAt).as("the latest checkpoint, at least the one on disk when the kill was ordered")
                .isGreaterThanOrEqualTo(checkpointSeen).isLessThan(caught.getTotalSteps())
                .matches(s -> s % StageFiles.CHECKPOINT_EVERY == 0, "a checkpoint step");

        // The same request trained without interruption: killing and resuming must not change a single byte.
        String referenceId = "it-crash-reference";
        submitter.submit(family.training(referenceId, epochs));
        Completed reference = awaitCompleted(referenceId);
        assertThat(Files.readAllBytes(local(done.adapter().getRawAdapterUri()).resolve(PeftAdapter.WEIGHTS_FILE)))
                .isEqualTo(Files.readAllBytes(local(reference.adapter().getRawAdapterUri()).resolve(PeftAdapter.WEIGHTS_FILE)));
        assertThat(done.adapter().getSha256()).isEqualTo(reference.adapter().getSha256());
        assertThat(done.evaluation().getTrainLoss()).isEqualTo(reference.evaluation().getTrainLoss());
    }

    @Test
    void aNewAlignedCheckpointForTheFamilyReprojectsItsAdapterWithLineage() throws Exception {
        TinyFamily family = TinyFamily.create("it-refresh", root);
        String requestId = "it-refresh-1";
        AdapterPublished first = registerAndTrain(family, requestId, 2);
        AlignmentEvent firstAlignment = alignmentEvents(family.name).get(0);

        Path alignedV2 = family.newAlignedCheckpoint("v2", 7);
        submitter.submit(family.registration(alignedV2));
        Completed successor = awaitSuccessor(first, family.name, requestId);
        AdapterPublished refreshed = successor.adapter();
        EvaluationCompleted evaluation = successor.evaluation();
        awaitIdle(); // a duplicate projection job or alignment would come before these commits
        events.catchUp();

        List<AlignmentEvent> alignments = alignmentEvents(family.name);
        assertThat(alignmentIds(alignments)).hasSize(2);
        AlignmentEvent second = alignments.get(alignments.size() - 1);
        assertThat(second.getAlignmentId()).isNotEqualTo(firstAlignment.getAlignmentId());
        assertThat(events.values(Topic.PROJECTION_JOBS, ProjectionJob.class, j -> j.getSourceAdapterId().equals(first.getAdapterId())))
                .singleElement().satisfies(j -> {
                    assertThat(j.getReason()).isEqualTo(LineageReason.ALIGNMENT_CHANGED);
                    assertThat(j.getAlignment().getAlignmentId()).isEqualTo(second.getAlignmentId());
                });
        assertThat(events.values(Topic.TRAINING_JOBS, TrainingJob.class, j -> j.getFamily().equals(family.name)))
                .as("only the aligned checkpoint changed: re-projection, no re-training").hasSize(1);

        assertThat(refreshed.getReason()).isEqualTo(LineageReason.ALIGNMENT_CHANGED);
        assertThat(refreshed.getRequestId()).isEqualTo(requestId);
        assertThat(refreshed.getAdapterId()).isNotEqualTo(first.getAdapterId());
        assertThat(refreshed.getRawAdapterUri()).as("the same trained LoRA").isEqualTo(first.getRawAdapterUri());
        assertThat(refreshed.getAlignment().getAlignmentId()).isEqualTo(second.getAlignmentId());
        assertThat(refreshed.getAlignment().getAlignedUri()).isEqualTo(alignedV2.toUri().toString());
        assertThat(events.values(Topic.ADAPTERS, AdapterPublished.class, a -> a.getRequestId().equals(requestId))).hasSize(2);
        assertThat(events.values(Topic.EVALUATIONS, EvaluationCompleted.class, e -> e.getAdapterId().equals(refreshed.getAdapterId())))
                .hasSize(1);
        assertThat(evaluation.getRequestId()).isEqualTo(requestId);

        List<String> projected = IndependentProjection.assertTopKProjection(PeftAdapter.read(local(refreshed.getRawAdapterUri())),
                PeftAdapter.read(local(refreshed.getUri())), family.base, alignedV2, TinyFamily.TOP_K);
        assertThat(refreshed.getProjectedModules()).containsExactlyInAnyOrderElementsOf(projected);
    }

    @Test
    void aLayerSelectionAimedAtAnAdapterReprojectsItUnderThePolicyWithoutRetraining() throws Exception {
        TinyFamily family = TinyFamily.create("it-select", root);
        String requestId = "it-select-1";
        AdapterPublished first = registerAndTrain(family, requestId, 1);

        submitter.submit(TinyFamily.adapterSelection(first.getAdapterId(), "{\"mode\": \"EXPLICIT\", \"layers\": [1]}"));
        AdapterPublished reprojected = awaitSuccessor(first, family.name, requestId).adapter();
        events.catchUp();

        assertThat(reprojected.getReason()).isEqualTo(LineageReason.SELECTION_CHANGED);
        assertThat(reprojected.getRawAdapterUri()).as("the same trained LoRA").isEqualTo(first.getRawAdapterUri());
        assertThat(reprojected.getAlignment().getAlignmentId()).isEqualTo(first.getAlignment().getAlignmentId());
        List<String> layerOne = List.of("model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj");
        assertThat(reprojected.getProjectedModules()).containsExactlyInAnyOrderElementsOf(layerOne);
        IndependentProjection.assertProjection(PeftAdapter.read(local(reprojected.getRawAdapterUri())),
                PeftAdapter.read(local(reprojected.getUri())), family.base, family.aligned, layerOne);
        assertThat(events.values(Topic.TRAINING_JOBS, TrainingJob.class, j -> j.getFamily().equals(family.name))).hasSize(1);
    }

    @Test
    void aNewBaseCheckpointForTheFamilyRetrainsItsAdapterWithLineage() throws Exception {
        TinyFamily family = TinyFamily.create("it-rebase", root);
        String requestId = "it-rebase-1";
        AdapterPublished first = registerAndTrain(family, requestId, 1);

        Path[] v2 = family.newBaseCheckpoint("v2", 11);
        submitter.submit(family.registration(v2[0], v2[1]));
        AdapterPublished retrained = awaitSuccessor(first, family.name, requestId).adapter();
        events.catchUp();

        assertThat(events.values(Topic.TRAINING_JOBS, TrainingJob.class, j -> j.getFamily().equals(family.name)))
                .extracting(TrainingJob::getReason).containsExactly(LineageReason.NEW_TRAINING, LineageReason.BASE_CHANGED);
        assertThat(events.values(Topic.PROJECTION_JOBS, ProjectionJob.class, j -> j.getFamily().equals(family.name)))
                .as("a new base needs a new LoRA, not a re-projection").isEmpty();
        assertThat(retrained.getReason()).isEqualTo(LineageReason.BASE_CHANGED);
        assertThat(retrained.getBaseUri()).isEqualTo(v2[0].toUri().toString());
        assertThat(retrained.getRawAdapterUri()).isNotEqualTo(first.getRawAdapterUri());
        List<String> projected = IndependentProjection.assertTopKProjection(PeftAdapter.read(local(retrained.getRawAdapterUri())),
                PeftAdapter.read(local(retrained.getUri())), v2[0], v2[1], TinyFamily.TOP_K);
        assertThat(retrained.getProjectedModules()).containsExactlyInAnyOrderElementsOf(projected);
    }

    static final List<String> STAGE_GROUPS = List.of("safelora-alignment", "safelora-planner", "safelora-trainer", "safelora-projector");

    /**
     * Waits until every stage group has committed everything on its input topics (lag 0 per partition, computed
     * as Kafka's tools do): nothing is in flight, so nothing more will be published. {@code groupsThatConsumed}
     * must have committed offsets at all (a group that never had a record has none).
     */
    void awaitIdle(String... groupsThatConsumed) {
        try (GroupLag lag = new GroupLag(cluster.clientSettings())) {
            for (String group : STAGE_GROUPS) {
                Awaitility.await("lag 0 on every partition of " + group).atMost(Duration.ofMinutes(1))
                        .pollInterval(Duration.ofMillis(250))
                        .untilAsserted(() -> {
                            Map<String, Long> perPartition = lag.adminLag(group);
                            if (List.of(groupsThatConsumed).contains(group)) {
                                assertThat(perPartition).as("partitions of " + group).isNotEmpty();
                            }
                            assertThat(perPartition).as("log end - committed, per partition, of " + group)
                                    .allSatisfy((tp, l) -> assertThat(l).isZero());
                        });
            }
        }
    }

    /** The adapter and evaluation events of one request. */
    record Completed(AdapterPublished adapter, EvaluationCompleted evaluation) {
    }

    Completed awaitCompleted(String requestId) {
        Predicate<TrainingProgress> failed = p -> p.getRequestId().equals(requestId) && p.getPhase() == TrainingPhase.FAILED;
        AdapterPublished adapter = events.await("the adapter of " + requestId, WAIT, () -> {
            if (!events.values(Topic.TRAINING_PROGRESS, TrainingProgress.class, failed).isEmpty()) {
                throw new AssertionError("training of " + requestId + " failed\n" + events.describe(requestId) + stages.trainerLog());
            }
            return last(events.values(Topic.ADAPTERS, AdapterPublished.class, a -> a.getRequestId().equals(requestId)));
        }, () -> events.describe(requestId) + "\ntrainer log:\n" + stages.trainerLog());
        EvaluationCompleted evaluation = events.await("the evaluation of " + requestId, WAIT,
                () -> last(events.values(Topic.EVALUATIONS, EvaluationCompleted.class, e -> e.getAdapterId().equals(adapter.getAdapterId()))),
                () -> events.describe(requestId) + "\ntrainer log:\n" + stages.trainerLog());
        return new Completed(adapter, evaluation);
    }

    private AdapterPublished registerAndTrain(TinyFamily family, String requestId, int epochs) throws Exception {
        submitter.submit(family.registration());
        submitter.submit(family.training(requestId, epochs));
        return awaitCompleted(requestId).adapter();
    }

    /** The adapter that replaces {@code previous} in its lineage (previousAdapterId), and its evaluation. */
    private Completed awaitSuccessor(AdapterPublished previous, String... ids) {
        AdapterPublished next = events.await("the successor of adapter " + previous.getAdapterId(), WAIT,
                () -> last(events.values(Topic.ADAPTERS, AdapterPublished.class, a -> previous.getAdapterId().equals(a.getPreviousAdapterId()))),
                () -> events.describe(ids) + "\ntrainer log:\n" + stages.trainerLog());
        EvaluationCompleted evaluation = events.await("the evaluation of " + next.getAdapterId(), WAIT,
                () -> last(events.values(Topic.EVALUATIONS, EvaluationCompleted.class, e -> e.getAdapterId().equals(next.getAdapterId()))),
                () -> events.describe(ids));
        return new Completed(next, evaluation);
    }

    private void assertDeadLettered(Topic topic, String key, RecordMetadata source, byte[] original, String stage) {
        PipelineEvents.Seen letter = events.await("the dead letter of " + topic.topicName() + " key " + key, WAIT,
                () -> last(events.deadLetters(topic, key)), () -> events.describe(key));
        assertThat(letter.raw()).as("the original bytes, untouched").isEqualTo(original);
        assertThat(DeadLetters.violations(letter.headers())).as("the dead-letter header contract").isEmpty();
        assertThat(letter.header(DeadLetters.STAGE)).contains(stage);
        assertThat(letter.header(DeadLetters.SOURCE_TOPIC)).contains(topic.topicName());
        assertThat(letter.header(DeadLetters.SOURCE_PARTITION)).contains(Integer.toString(source.partition()));
        assertThat(letter.header(DeadLetters.SOURCE_OFFSET)).contains(Long.toString(source.offset()));
        assertThat(letter.header(DeadLetters.ERROR_CLASS)).get().asString().isNotBlank();
        assertThat(letter.header(DeadLetters.ERROR_MESSAGE)).get().asString().isNotBlank();
    }

    private List<AlignmentEvent> alignmentEvents(String family) {
        return events.values(Topic.ALIGNMENTS, AlignmentEvent.class, e -> e.getFamily().equals(family));
    }

    private static Set<UUID> alignmentIds(List<AlignmentEvent> alignments) {
        return alignments.stream().map(AlignmentEvent::getAlignmentId).collect(Collectors.toSet());
    }

    private List<TrainingPhase> phases(String requestId) {
        return events.values(Topic.TRAINING_PROGRESS, TrainingProgress.class, p -> p.getRequestId().equals(requestId)).stream()
                .map(TrainingProgress::getPhase).toList();
    }

    private static final Pattern RESUMING = Pattern.compile("resuming at step (\\d+) of \\d+");

    private Optional<Long> resumedAtStep(String requestId) {
        for (TrainingProgress p : events.values(Topic.TRAINING_PROGRESS, TrainingProgress.class, p -> p.getRequestId().equals(requestId))) {
            Matcher m = p.getMessage() == null ? null : RESUMING.matcher(p.getMessage());
            if (m != null && m.matches()) {
                return Optional.of(Long.parseLong(m.group(1)));
            }
        }
        return Optional.empty();
    }

    /** The planner's parked-requests counter, scraped from its Prometheus endpoint as an operator would. */
    private double plannerParkedTotal() {
        String body;
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + stages.plannerMetricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            body = response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return body.lines().filter(l -> l.startsWith("safelora_planner_requests_parked_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static <T> Optional<T> last(List<T> values) {
        return values.isEmpty() ? Optional.empty() : Optional.of(values.get(values.size() - 1));
    }

    private static Path local(String fileUri) {
        return Path.of(URI.create(fileUri));
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
