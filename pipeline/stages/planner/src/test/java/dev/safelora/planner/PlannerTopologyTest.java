package dev.safelora.planner;

import static dev.safelora.planner.PlannerRecords.adapter;
import static dev.safelora.planner.PlannerRecords.adapterSelection;
import static dev.safelora.planner.PlannerRecords.failed;
import static dev.safelora.planner.PlannerRecords.familySelection;
import static dev.safelora.planner.PlannerRecords.publishedFrom;
import static dev.safelora.planner.PlannerRecords.ready;
import static dev.safelora.planner.PlannerRecords.request;
import static dev.safelora.planner.PlannerRecords.threshold;
import static dev.safelora.planner.PlannerRecords.topK;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.HttpSchemaRegistryClient;
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
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.stage.DeadLetters;
import dev.safelora.testkit.SharedCluster;

/**
 * The planner topology in a {@link TopologyTestDriver} (exactly-once configured), with the real
 * wire-format serde against the in-process schema registry over HTTP.
 */
class PlannerTopologyTest {

    private static final String ARTIFACTS = "file:///srv/artifacts";
    private static HttpSchemaRegistryClient registry;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, SpecificRecord> alignments;
    private TestInputTopic<String, SpecificRecord> selections;
    private TestInputTopic<String, SpecificRecord> requests;
    private TestInputTopic<String, SpecificRecord> adapters;
    private TestInputTopic<String, byte[]> rawRequests;
    private TestOutputTopic<String, TrainingJob> trainingJobs;
    private TestOutputTopic<String, ProjectionJob> projectionJobs;
    private TestOutputTopic<String, byte[]> requestDlq;
    private TestOutputTopic<String, byte[]> selectionDlq;
    private PlannerMetrics metrics;

    @BeforeAll
    static void registry() {
        registry = SharedCluster.get().registryClient();
    }

    @BeforeEach
    void start() throws Exception {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "planner-topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createDirectories(stateDir.resolve("state")).toString());
        metrics = new PlannerMetrics();
        driver = new TopologyTestDriver(PlannerTopology.build(registry, ARTIFACTS, metrics), props);
        AvroSerializer<SpecificRecord> avro = new AvroSerializer<>(registry, true);
        StringSerializer keys = new StringSerializer();
        alignments = driver.createInputTopic(Topic.ALIGNMENTS.topicName(), keys, avro);
        selections = driver.createInputTopic(Topic.LAYER_SELECTIONS.topicName(), keys, avro);
        requests = driver.createInputTopic(Topic.TRAINING_REQUESTS.topicName(), keys, avro);
        adapters = driver.createInputTopic(Topic.ADAPTERS.topicName(), keys, avro);
        rawRequests = driver.createInputTopic(Topic.TRAINING_REQUESTS.topicName(), keys, new ByteArraySerializer());
        trainingJobs = driver.createOutputTopic(Topic.TRAINING_JOBS.topicName(), new StringDeserializer(),
                AvroDeserializer.specific(registry, TrainingJob.class));
        projectionJobs = driver.createOutputTopic(Topic.PROJECTION_JOBS.topicName(), new StringDeserializer(),
                AvroDeserializer.specific(registry, ProjectionJob.class));
        requestDlq = driver.createOutputTopic(Topic.TRAINING_REQUESTS.dlqName(), new StringDeserializer(), new ByteArrayDeserializer());
        selectionDlq = driver.createOutputTopic(Topic.LAYER_SELECTIONS.dlqName(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private static UUID id(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aJobCarriesTheTimeOfTheRecordThatPlannedIt() {
        Instant parkedAt = PlannerRecords.T0.plusSeconds(10);
        Instant alignedAt = PlannerRecords.T0.plusSeconds(20);
        Instant requestedAt = PlannerRecords.T0.plusSeconds(30);
        requests.pipeInput("req-w", request("req-w", "llama-a"), parkedAt);
        assertThat(trainingJobs.isEmpty()).isTrue();
        alignments.pipeInput("llama-a", ready("llama-a", id("a1"), "base-1", "aligned-1"), alignedAt);
        // released by the alignment: stamped with the alignment's time, not the request's
        assertThat(trainingJobs.readRecord().getRecordTime()).isEqualTo(alignedAt);
        requests.pipeInput("req-n", request("req-n", "llama-a"), requestedAt);
        assertThat(trainingJobs.readRecord().getRecordTime()).isEqualTo(requestedAt);
    }

    private void send(TestInputTopic<String, SpecificRecord> topic, String key, SpecificRecord value) {
        topic.pipeInput(key, value, PlannerRecords.T0);
    }

    /** Everything a training job must say, checked field by field against hand-stated expectations. */
    private static void assertJob(TrainingJob job, TrainingRequest request, AlignmentEvent alignment, SelectionMode mode,
                                  LineageReason reason, String previousAdapterId) {
        assertThat(job.getRequestId()).isEqualTo(request.getRequestId());
        assertThat(job.getFamily()).isEqualTo(request.getFamily());
        assertThat(job.getRequest()).isEqualTo(request);
        assertThat(job.getAlignment().getAlignmentId()).isEqualTo(alignment.getAlignmentId());
        assertThat(job.getAlignment().getRegistrationId()).isEqualTo(alignment.getRegistrationId());
        assertThat(job.getAlignment().getAlignmentUri()).isEqualTo(((AlignmentReady) alignment.getOutcome()).getAlignmentUri());
        assertThat(job.getAlignment().getBaseUri()).isEqualTo(alignment.getBaseUri());
        assertThat(job.getAlignment().getBaseModelName()).isEqualTo(alignment.getBaseModelName()).isNotNull();
        assertThat(job.getAlignment().getAlignedUri()).isEqualTo(alignment.getAlignedUri());
        assertThat(job.getSelection().getMode()).isEqualTo(mode);
        assertThat(job.getReason()).isEqualTo(reason);
        assertThat(job.getPreviousAdapterId()).isEqualTo(previousAdapterId);
        assertThat(job.getOutputUri()).isEqualTo(ARTIFACTS + "/adapters/" + job.getAdapterId());
        assertThat(job.getPlannedAt()).isEqualTo(PlannerRecords.T0);
    }

    @Test
    void requestBeforeAlignmentWaitsThenIsReleasedWithTheDefaultPolicy() {
        TrainingRequest early = request("req-early", "llama-a");
        TrainingRequest otherFamily = request("req-other", "llama-b");
        send(requests, "req-early", early);
        send(requests, "req-other", otherFamily);
        assertThat(trainingJobs.isEmpty()).isTrue();

        AlignmentEvent alignment = ready("llama-a", id("a1"), "base-1", "aligned-1");
        send(alignments, "llama-a", alignment);

        List<TestRecord<String, TrainingJob>> jobs = trainingJobs.readRecordsToList();
        assertThat(jobs).hasSize(1);
        assertThat(jobs.get(0).key()).isEqualTo("req-early");
        TrainingJob job = jobs.get(0).value();
        assertJob(job, early, alignment, SelectionMode.THRESHOLD, LineageReason.NEW_TRAINING, null);
        assertThat(job.getSelection().getThreshold()).isEqualTo(0.5);
        assertThat(job.getAdapterId()).isEqualTo(UUID.nameUUIDFromBytes(
                ("adapter\u0000req-early\u0000" + id("a1")).getBytes(StandardCharsets.UTF_8)).toString());

        // released once: the same alignment again releases nothing more, the other family still waits
        send(alignments, "llama-a", alignment);
        assertThat(trainingJobs.isEmpty()).isTrue();
        send(alignments, "llama-b", ready("llama-b", id("b1"), "base-b", "aligned-b"));
        assertThat(trainingJobs.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("req-other");
    }

    @Test
    void requestAfterAlignmentBecomesAJobAtOnceWithOverrideOrFamilyPolicy() {
        AlignmentEvent alignment = ready("llama-a", id("a1"), "base-1", "aligned-1");
        send(alignments, "llama-a", alignment);
        TrainingRequest plain = request("req-1", "llama-a");
        send(requests, "req-1", plain);
        assertJob(trainingJobs.readValue(), plain, alignment, SelectionMode.THRESHOLD, LineageReason.NEW_TRAINING, null);

        send(selections, "llama-a", familySelection("llama-a", threshold(0.25)));
        TrainingRequest underPolicy = request("req-2", "llama-a");
        send(requests, "req-2", underPolicy);
        TrainingJob second = trainingJobs.readValue();
        assertThat(second.getSelection().getMode()).isEqualTo(SelectionMode.THRESHOLD);
        assertThat(second.getSelection().getThreshold()).isEqualTo(0.25);

        TrainingRequest withOverride = request("req-3", "llama-a", topK(3));
        send(requests, "req-3", withOverride);
        TrainingJob third = trainingJobs.readValue();
        assertJob(third, withOverride, alignment, SelectionMode.TOP_K, LineageReason.NEW_TRAINING, null);
        assertThat(third.getSelection().getTopK()).isEqualTo(3);
        assertThat(trainingJobs.isEmpty()).isTrue();

        // a request that says it re-trains an adapter carries that lineage
        TrainingRequest manualRetrain = TrainingRequest.newBuilder(request("req-4", "llama-a")).setRetrainOf("adapter-old").build();
        send(requests, "req-4", manualRetrain);
        assertJob(trainingJobs.readValue(), manualRetrain, alignment, SelectionMode.THRESHOLD, LineageReason.BASE_CHANGED, "adapter-old");
    }

    @Test
    void failedAlignmentReleasesNothingAndKeepsThePreviousReadyOne() {
        send(requests, "req-w", request("req-w", "llama-a"));
        send(alignments, "llama-a", failed("llama-a", id("f1")));
        assertThat(trainingJobs.isEmpty()).isTrue();
        assertThat(requestDlq.isEmpty()).isTrue();

        AlignmentEvent good = ready("llama-a", id("a1"), "base-1", "aligned-1");
        send(alignments, "llama-a", good);
        assertThat(trainingJobs.readValue().getRequestId()).isEqualTo("req-w");

        send(alignments, "llama-a", failed("llama-a", id("f2")));
        send(requests, "req-after", request("req-after", "llama-a"));
        TrainingJob after = trainingJobs.readValue();
        assertThat(after.getAlignment().getAlignmentId()).isEqualTo(id("a1"));
    }

    @Test
    void theSameRequestSubmittedAgainLaterPlansNothingNewAndIsNoDeadLetter() {
        send(alignments, "llama-a", ready("llama-a", id("a1"), "base-1", "aligned-1"));
        send(requests, "req-1", request("req-1", "llama-a"));
        assertThat(trainingJobs.readRecordsToList()).hasSize(1);
        TrainingRequest again = TrainingRequest.newBuilder(request("req-1", "llama-a"))
                .setRequestedAt(PlannerRecords.T0.plusSeconds(3600)).build();
        send(requests, "req-1", again);
        assertThat(trainingJobs.isEmpty()).isTrue();
        assertThat(requestDlq.isEmpty()).isTrue();
    }

    @Test
    void replayedRequestPlansNothingNewAndAReusedIdIsADeadLetter() {
        send(alignments, "llama-a", ready("llama-a", id("a1"), "base-1", "aligned-1"));
        send(requests, "req-1", request("req-1", "llama-a"));
        assertThat(trainingJobs.readRecordsToList()).hasSize(1);
        send(requests, "req-1", request("req-1", "llama-a"));
        assertThat(trainingJobs.isEmpty()).isTrue();

        TrainingRequest different = TrainingRequest.newBuilder(request("req-1", "llama-a")).setDatasetUri("file:///other.jsonl").build();
        send(requests, "req-1", different);
        assertThat(trainingJobs.isEmpty()).isTrue();
        TestRecord<String, byte[]> dead = requestDlq.readRecord();
        assertThat(dead.key()).isEqualTo("req-1");
        assertThat(header(dead, DeadLetters.SOURCE_TOPIC)).isEqualTo(Topic.TRAINING_REQUESTS.topicName());
        assertThat(header(dead, DeadLetters.SOURCE_OFFSET)).isEqualTo("2");
        assertThat(dead.headers().lastHeader(GuardedProcessor.ORIGIN_KEY)).isNull();
        assertThat(header(dead, DeadLetters.ERROR_MESSAGE)).contains("req-1").contains("already used");
        assertThat(header(dead, DeadLetters.CAUSE)).isEqualTo("VALIDATION");
        assertThat(AvroDeserializer.specific(registry, TrainingRequest.class)
                .deserialize(Topic.TRAINING_REQUESTS.topicName(), dead.value())).isEqualTo(different);
    }

    @Test
    void adapterScopedSelectionBecomesAProjectionJobOfThatAdapter() {
        AlignmentEvent alignment = ready("llama-a", id("a1"), "base-1", "aligned-1");
        send(alignments, "llama-a", alignment);
        send(requests, "req-1", request("req-1", "llama-a"));
        TrainingJob job = trainingJobs.readValue();
        AdapterPublished published = publishedFrom(job);
        send(adapters, published.getAdapterId(), published);
        assertThat(projectionJobs.isEmpty()).isTrue();

        send(selections, published.getAdapterId(), adapterSelection(published.getAdapterId(), topK(2)));
        TestRecord<String, ProjectionJob> record = projectionJobs.readRecord();
        ProjectionJob projection = record.value();
        assertThat(record.key()).isEqualTo(published.getAdapterId());
        assertThat(projection.getSourceAdapterId()).isEqualTo(published.getAdapterId());
        assertThat(projection.getRequestId()).isEqualTo("req-1");
        assertThat(projection.getFamily()).isEqualTo("llama-a");
        assertThat(projection.getRawAdapterUri()).isEqualTo("file:///artifacts/adapters/" + published.getAdapterId() + "/raw");
        assertThat(projection.getAlignment()).isEqualTo(job.getAlignment());
        assertThat(projection.getSelection()).isEqualTo(topK(2));
        assertThat(projection.getReason()).isEqualTo(LineageReason.SELECTION_CHANGED);
        assertThat(projection.getAdapterId()).isNotEqualTo(published.getAdapterId());
        assertThat(projection.getOutputUri()).isEqualTo(ARTIFACTS + "/adapters/" + projection.getAdapterId());
        assertThat(projectionJobs.isEmpty()).isTrue();
    }

    @Test
    void aReplayedAdapterSelectionPlansNothingNew() {
        AlignmentEvent alignment = ready("llama-a", id("a1"), "base-1", "aligned-1");
        send(alignments, "llama-a", alignment);
        send(requests, "req-1", request("req-1", "llama-a"));
        AdapterPublished published = publishedFrom(trainingJobs.readValue());
        send(adapters, published.getAdapterId(), published);
        LayerSelection topTwo = adapterSelection(published.getAdapterId(), topK(2));
        send(selections, published.getAdapterId(), topTwo);
        assertThat(projectionJobs.readValuesToList()).hasSize(1);

        send(selections, published.getAdapterId(), topTwo);
        assertThat(projectionJobs.isEmpty()).isTrue();
        // a new selection for the same adapter is planned
        send(selections, published.getAdapterId(), adapterSelection(published.getAdapterId(), topK(1)));
        assertThat(projectionJobs.readValue().getSelection()).isEqualTo(topK(1));
    }

    @Test
    void selectionForAnUnknownAdapterIsADeadLetter() {
        send(selections, "no-such-adapter", adapterSelection("no-such-adapter", topK(1)));
        assertThat(projectionJobs.isEmpty()).isTrue();
        TestRecord<String, byte[]> dead = selectionDlq.readRecord();
        assertThat(dead.key()).isEqualTo("no-such-adapter");
        assertThat(header(dead, DeadLetters.ERROR_MESSAGE)).contains("no-such-adapter").contains("not been published");
        assertThat(header(dead, DeadLetters.SOURCE_TOPIC)).isEqualTo(Topic.LAYER_SELECTIONS.topicName());
    }

    @Test
    void newAlignedCheckpointReprojectsTheFamilysLatestAdaptersWithLineage() {
        AlignmentEvent first = ready("llama-a", id("a1"), "base-1", "aligned-1");
        send(alignments, "llama-a", first);
        send(requests, "req-1", request("req-1", "llama-a"));
        TrainingJob job = trainingJobs.readValue();
        AdapterPublished v1 = publishedFrom(job);
        send(adapters, v1.getAdapterId(), v1);
        // an adapter of another family is not touched
        AlignmentEvent otherFamily = ready("llama-b", id("b1"), "base-b", "aligned-b");
        send(alignments, "llama-b", otherFamily);
        AdapterPublished foreign = adapter("adapter-b", "req-b", "llama-b", JobFactory.ref(otherFamily), JobFactory.defaultPolicy(),
                null, LineageReason.NEW_TRAINING);
        send(adapters, "adapter-b", foreign);

        AlignmentEvent second = ready("llama-a", id("a2"), "base-1", "aligned-2");
        send(alignments, "llama-a", second);

        List<ProjectionJob> jobs = projectionJobs.readValuesToList();
        assertThat(jobs).hasSize(1);
        ProjectionJob refresh = jobs.get(0);
        assertThat(refresh.getSourceAdapterId()).isEqualTo(v1.getAdapterId());
        assertThat(refresh.getReason()).isEqualTo(LineageReason.ALIGNMENT_CHANGED);
        assertThat(refresh.getAlignment()).isEqualTo(JobFactory.ref(second));
        assertThat(refresh.getSelection()).isEqualTo(v1.getSelection());
        assertThat(refresh.getRawAdapterUri()).isEqualTo(v1.getRawAdapterUri());
        assertThat(trainingJobs.isEmpty()).isTrue();

        // the re-projected adapter supersedes v1; the same content under a new alignment id refreshes nothing
        AdapterPublished v2 = adapter(refresh.getAdapterId(), "req-1", "llama-a", refresh.getAlignment(), refresh.getSelection(),
                v1.getAdapterId(), LineageReason.ALIGNMENT_CHANGED);
        send(adapters, v2.getAdapterId(), v2);
        assertThat(projectionJobs.isEmpty()).isTrue();
        send(alignments, "llama-a", ready("llama-a", id("a2-again"), "base-1", "aligned-2"));
        assertThat(projectionJobs.isEmpty()).isTrue();

        // a third aligned checkpoint refreshes only the head of the lineage (v2), not v1
        send(alignments, "llama-a", ready("llama-a", id("a3"), "base-1", "aligned-3"));
        assertThat(projectionJobs.readValuesToList()).extracting(ProjectionJob::getSourceAdapterId).containsExactly(v2.getAdapterId());
    }

    @Test
    void anAutoAdapterIsReprojectedWithTheKItsSearchChoseAndAnAdapterScopedAutoIsADeadLetter() {
        AlignmentEvent first = ready("llama-a", id("a1"), "base-1", "aligned-1");
        send(alignments, "llama-a", first);
        SelectionPolicy auto = SelectionPolicy.newBuilder().setMode(SelectionMode.AUTO).setRemedy("SHRINK").build();
        send(requests, "req-1", request("req-1", "llama-a", auto));
        AdapterPublished v1 = AdapterPublished.newBuilder(publishedFrom(trainingJobs.readValue()))
                .setProjectedModules(List.of("model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.v_proj")).build();
        send(adapters, v1.getAdapterId(), v1);

        send(alignments, "llama-a", ready("llama-a", id("a2"), "base-1", "aligned-2"));
        ProjectionJob refresh = projectionJobs.readValue();
        assertThat(refresh.getSelection().getMode()).isEqualTo(SelectionMode.TOP_K);
        assertThat(refresh.getSelection().getTopK()).isEqualTo(2);
        assertThat(refresh.getSelection().getRemedy()).isEqualTo("SHRINK");

        send(selections, v1.getAdapterId(), adapterSelection(v1.getAdapterId(), auto));
        assertThat(projectionJobs.isEmpty()).isTrue();
        assertThat(header(selectionDlq.readRecord(), DeadLetters.ERROR_MESSAGE)).contains("AUTO").contains("retrainOf");

        // an AUTO adapter with no module remedied has nothing a new aligned checkpoint could change
        AdapterPublished none = AdapterPublished.newBuilder(v1).setAdapterId("adapter-none").setProjectedModules(List.of()).build();
        assertThat(FamilyPlanner.reprojectionPolicy(none)).isNull();
    }

    @Test
    void newBaseRetrainsTheAdapterFromItsOriginalRequestWithLineage() {
        AlignmentEvent first = ready("llama-a", id("a1"), "base-1", "aligned-1");
        send(alignments, "llama-a", first);
        TrainingRequest original = request("req-1", "llama-a", topK(2));
        send(requests, "req-1", original);
        AdapterPublished v1 = publishedFrom(trainingJobs.readValue());
        send(adapters, v1.getAdapterId(), v1);

        AlignmentEvent rebased = ready("llama-a", id("a2"), "base-2", "aligned-2");
        send(alignments, "llama-a", rebased);

        assertThat(projectionJobs.isEmpty()).isTrue();
        TestRecord<String, TrainingJob> record = trainingJobs.readRecord();
        TrainingJob retrain = record.value();
        String retrainId = UUID.nameUUIDFromBytes(("retrain\u0000" + v1.getAdapterId() + "\u0000" + id("a2"))
                .getBytes(StandardCharsets.UTF_8)).toString();
        TrainingRequest expectedRequest = TrainingRequest.newBuilder(original).setRequestId(retrainId)
                .setRetrainOf(v1.getAdapterId()).setRequestedBy("retrain-loop").setRequestedAt(PlannerRecords.T0).build();
        assertThat(record.key()).isEqualTo(retrainId);
        assertJob(retrain, expectedRequest, rebased, SelectionMode.TOP_K, LineageReason.BASE_CHANGED, v1.getAdapterId());
        assertThat(retrain.getAdapterId()).isNotEqualTo(v1.getAdapterId());

        // while the re-training runs, another alignment does not plan a second one for the same lineage
        send(alignments, "llama-a", ready("llama-a", id("a3"), "base-3", "aligned-3"));
        assertThat(trainingJobs.isEmpty()).isTrue();
        // when the re-trained adapter arrives it is stale (a2, family now on a3, new base again): re-trained once more
        AdapterPublished v2 = publishedFrom(retrain);
        send(adapters, v2.getAdapterId(), v2);
        TrainingJob again = trainingJobs.readValue();
        assertThat(again.getReason()).isEqualTo(LineageReason.BASE_CHANGED);
        assertThat(again.getPreviousAdapterId()).isEqualTo(v2.getAdapterId());
        assertThat(again.getAlignment().getAlignmentId()).isEqualTo(id("a3"));
        assertThat(again.getRequest().getDatasetUri()).isEqualTo(original.getDatasetUri());
    }

    @Test
    void anOlderAlignmentArrivingLateDoesNotMoveTheFamilyBack() {
        AlignmentEvent current = AlignmentEvent.newBuilder(ready("llama-a", id("a2"), "base-1", "aligned-2"))
                .setCompletedAt(PlannerRecords.T0.plusSeconds(60)).build();
        send(alignments, "llama-a", current);
        send(requests, "req-1", request("req-1", "llama-a"));
        AdapterPublished v1 = publishedFrom(trainingJobs.readValue());
        send(adapters, v1.getAdapterId(), v1);

        send(alignments, "llama-a", ready("llama-a", id("a1"), "base-1", "aligned-1"));  // completed at T0, a minute earlier
        assertThat(projectionJobs.isEmpty()).isTrue();
        send(requests, "req-2", request("req-2", "llama-a"));
        assertThat(trainingJobs.readValue().getAlignment().getAlignmentId()).isEqualTo(id("a2"));
    }

    @Test
    void aReplayedOlderAlignmentDoesNotMoveTheFamilyBack() {
        // the alignment stage is at-least-once: re-running registration 1 re-sends its alignment id, completed later
        AlignmentEvent first = ready("llama-a", id("a1"), "base-1", "aligned-1");
        send(alignments, "llama-a", first);
        send(requests, "req-1", request("req-1", "llama-a"));
        AdapterPublished v1 = publishedFrom(trainingJobs.readValue());
        send(adapters, v1.getAdapterId(), v1);
        send(alignments, "llama-a", AlignmentEvent.newBuilder(ready("llama-a", id("a2"), "base-1", "aligned-2"))
                .setCompletedAt(PlannerRecords.T0.plusSeconds(60)).build());
        ProjectionJob refresh = projectionJobs.readValue();
        AdapterPublished v2 = adapter(refresh.getAdapterId(), "req-1", "llama-a", refresh.getAlignment(), refresh.getSelection(),
                v1.getAdapterId(), LineageReason.ALIGNMENT_CHANGED);
        send(adapters, v2.getAdapterId(), v2);

        send(alignments, "llama-a", AlignmentEvent.newBuilder(first).setCompletedAt(PlannerRecords.T0.plusSeconds(120)).build());
        assertThat(projectionJobs.isEmpty()).isTrue();
        assertThat(trainingJobs.isEmpty()).isTrue();
        send(requests, "req-2", request("req-2", "llama-a"));
        assertThat(trainingJobs.readValue().getAlignment().getAlignmentId()).isEqualTo(id("a2"));
    }

    @Test
    void aRepublishedAdapterWhoseRefreshIsInFlightIsNotRefreshedTwice() {
        AdapterPublished v1 = trainedAndPublished();
        send(alignments, "llama-a", ready("llama-a", id("a2"), "base-1", "aligned-2"));
        assertThat(projectionJobs.readValuesToList()).hasSize(1);

        // a worker that crashed after publishing publishes the same adapter event again
        send(adapters, v1.getAdapterId(), v1);
        assertThat(projectionJobs.isEmpty()).isTrue();
    }

    @Test
    void aRepublishedSupersededAdapterDoesNotForkItsLineage() {
        AdapterPublished v1 = trainedAndPublished();
        send(alignments, "llama-a", ready("llama-a", id("a2"), "base-1", "aligned-2"));
        ProjectionJob toA2 = projectionJobs.readValue();
        AdapterPublished v2 = adapter(toA2.getAdapterId(), "req-1", "llama-a", toA2.getAlignment(), toA2.getSelection(),
                v1.getAdapterId(), LineageReason.ALIGNMENT_CHANGED);
        send(adapters, v2.getAdapterId(), v2);
        send(alignments, "llama-a", ready("llama-a", id("a3"), "base-1", "aligned-3"));
        assertThat(projectionJobs.readValuesToList()).extracting(ProjectionJob::getSourceAdapterId).containsExactly(v2.getAdapterId());

        // v1 arrives again after v2 superseded it: it is no head of a lineage, nothing is planned from it
        send(adapters, v1.getAdapterId(), v1);
        assertThat(projectionJobs.isEmpty()).isTrue();
        assertThat(trainingJobs.isEmpty()).isTrue();
    }

    @Test
    void aReusedRequestIdWhileTheFirstRequestWaitsIsADeadLetter() {
        TrainingRequest first = request("req-1", "llama-a");
        send(requests, "req-1", first);
        send(requests, "req-1", TrainingRequest.newBuilder(first).setDatasetUri("file:///other.jsonl").build());
        send(requests, "req-1", TrainingRequest.newBuilder(first).setFamily("llama-b").build());
        assertThat(requestDlq.readRecordsToList()).hasSize(2)
                .allSatisfy(dead -> assertThat(header(dead, DeadLetters.ERROR_MESSAGE)).contains("req-1").contains("already used"));
        send(requests, "req-1", first);   // a replay of the first: nothing new
        assertThat(requestDlq.isEmpty()).isTrue();

        AlignmentEvent a = ready("llama-a", id("a1"), "base-1", "aligned-1");
        send(alignments, "llama-a", a);
        send(alignments, "llama-b", ready("llama-b", id("b1"), "base-b", "aligned-b"));
        List<TrainingJob> jobs = trainingJobs.readValuesToList();
        assertThat(jobs).hasSize(1);
        assertJob(jobs.get(0), first, a, SelectionMode.THRESHOLD, LineageReason.NEW_TRAINING, null);
    }

    @Test
    void anAdapterOfARequestThePlannerNeverSawIsNotRetrainedOnANewBaseUntilARequestSaysSo() {
        AlignmentEvent first = ready("llama-a", id("a1"), "base-1", "aligned-1");
        send(alignments, "llama-a", first);
        AdapterPublished external = adapter("adapter-x", "req-unknown", "llama-a", JobFactory.ref(first), topK(1), null,
                LineageReason.NEW_TRAINING);
        send(adapters, "adapter-x", external);

        send(alignments, "llama-a", ready("llama-a", id("a2"), "base-2", "aligned-2"));
        assertThat(trainingJobs.isEmpty()).isTrue();
        assertThat(projectionJobs.isEmpty()).isTrue();

        // nothing is in flight for it: a later alignment finds it on the old base again; a request with retrainOf re-trains it
        send(alignments, "llama-a", ready("llama-a", id("a3"), "base-2", "aligned-3"));
        assertThat(projectionJobs.isEmpty()).isTrue();
        assertThat(trainingJobs.isEmpty()).isTrue();
        send(requests, "req-x", TrainingRequest.newBuilder(request("req-x", "llama-a")).setRetrainOf("adapter-x").build());
        TrainingJob manual = trainingJobs.readValue();
        assertThat(manual.getReason()).isEqualTo(LineageReason.BASE_CHANGED);
        assertThat(manual.getPreviousAdapterId()).isEqualTo("adapter-x");
        assertThat(manual.getAlignment().getAlignmentId()).isEqualTo(id("a3"));
    }

    @Test
    void alignmentsArrivingWhileAReprojectionIsInFlightAreAppliedOnceWhenItsAdapterArrives() {
        AdapterPublished v1 = trainedAndPublished();
        send(alignments, "llama-a", ready("llama-a", id("a2"), "base-1", "aligned-2"));
        ProjectionJob toA2 = projectionJobs.readValue();

        send(alignments, "llama-a", ready("llama-a", id("a3"), "base-1", "aligned-3"));
        send(alignments, "llama-a", ready("llama-a", id("a4"), "base-1", "aligned-4"));
        assertThat(projectionJobs.isEmpty()).isTrue();

        AdapterPublished v2 = adapter(toA2.getAdapterId(), "req-1", "llama-a", toA2.getAlignment(), toA2.getSelection(),
                v1.getAdapterId(), LineageReason.ALIGNMENT_CHANGED);
        send(adapters, v2.getAdapterId(), v2);
        List<ProjectionJob> next = projectionJobs.readValuesToList();
        assertThat(next).hasSize(1);
        assertThat(next.get(0).getSourceAdapterId()).isEqualTo(v2.getAdapterId());
        assertThat(next.get(0).getAlignment().getAlignmentId()).isEqualTo(id("a4"));
        assertThat(next.get(0).getRawAdapterUri()).isEqualTo(v2.getRawAdapterUri());
        assertThat(trainingJobs.isEmpty()).isTrue();
    }

    @Test
    void adapterPublishedAfterItsFamilyMovedOnIsRefreshedAtOnce() {
        send(alignments, "llama-a", ready("llama-a", id("a1"), "base-1", "aligned-1"));
        send(requests, "req-1", request("req-1", "llama-a"));
        TrainingJob job = trainingJobs.readValue();
        send(alignments, "llama-a", ready("llama-a", id("a2"), "base-1", "aligned-2"));
        assertThat(projectionJobs.isEmpty()).isTrue();

        AdapterPublished late = publishedFrom(job);
        send(adapters, late.getAdapterId(), late);
        ProjectionJob refresh = projectionJobs.readValue();
        assertThat(refresh.getSourceAdapterId()).isEqualTo(late.getAdapterId());
        assertThat(refresh.getAlignment().getAlignmentId()).isEqualTo(id("a2"));
        assertThat(refresh.getReason()).isEqualTo(LineageReason.ALIGNMENT_CHANGED);
    }

    @Test
    void poisonPillGoesToTheDeadLetterTopicAndTheNextRecordIsProcessed() {
        send(alignments, "llama-a", ready("llama-a", id("a1"), "base-1", "aligned-1"));
        byte[] garbage = "{\"not\": \"avro\"}".getBytes(StandardCharsets.UTF_8);
        rawRequests.pipeInput(new TestRecord<>("req-bad", garbage, Instant.parse("2026-11-27T12:01:00Z")));
        byte[] unknownSchema = ByteBuffer.allocate(9).put((byte) 0).putInt(987_654_321).putInt(42).array();
        rawRequests.pipeInput("req-unknown-schema", unknownSchema);
        TrainingRequest invalid = TrainingRequest.newBuilder(request("req-invalid", "llama-a"))
                .setLora(dev.safelora.schema.LoraSettings.newBuilder().setR(0).build()).build();
        send(requests, "req-invalid", invalid);
        send(requests, "req-mismatch", request("req-other-id", "llama-a"));
        send(requests, "req-good", request("req-good", "llama-a"));

        assertThat(trainingJobs.readValuesToList()).extracting(TrainingJob::getRequestId).containsExactly("req-good");
        List<TestRecord<String, byte[]>> dead = requestDlq.readRecordsToList();
        assertThat(dead).extracting(TestRecord::key).containsExactly("req-bad", "req-unknown-schema", "req-invalid", "req-mismatch");

        TestRecord<String, byte[]> pill = dead.get(0);
        assertThat(pill.value()).isEqualTo(garbage);
        assertThat(header(pill, DeadLetters.SOURCE_TOPIC)).isEqualTo(Topic.TRAINING_REQUESTS.topicName());
        assertThat(header(pill, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(header(pill, DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(header(pill, DeadLetters.CAUSE)).isEqualTo("DESERIALIZATION");
        assertThat(DeadLetters.violations(pill.headers())).as("the dead-letter header contract").isEmpty();
        assertThat(header(pill, DeadLetters.ERROR_CLASS)).isEqualTo("org.apache.kafka.common.errors.SerializationException");
        assertThat(header(pill, DeadLetters.ERROR_MESSAGE)).contains("magic byte 0x7b");
        assertThat(header(pill, DeadLetters.STAGE)).isEqualTo("planner");

        assertThat(header(dead.get(1), DeadLetters.CAUSE)).isEqualTo("UNKNOWN_SCHEMA");
        assertThat(header(dead.get(1), DeadLetters.SOURCE_OFFSET)).isEqualTo("1");
        assertThat(header(dead.get(2), DeadLetters.CAUSE)).isEqualTo("VALIDATION");
        assertThat(header(dead.get(2), DeadLetters.ERROR_MESSAGE)).contains("lora.r: must be > 0, got 0");
        assertThat(header(dead.get(3), DeadLetters.ERROR_MESSAGE)).contains("record key 'req-mismatch' must equal requestId 'req-other-id'");
        assertThat(metrics.jobsPlanned()).isEqualTo(1);
    }

    private static String header(TestRecord<String, byte[]> record, String name) {
        return DeadLetters.header(record.headers(), name);
    }

    /** Family llama-a aligned (a1: base-1, aligned-1), request req-1 planned, and its adapter published: the adapter. */
    private AdapterPublished trainedAndPublished() {
        send(alignments, "llama-a", ready("llama-a", id("a1"), "base-1", "aligned-1"));
        send(requests, "req-1", request("req-1", "llama-a"));
        AdapterPublished v1 = publishedFrom(trainingJobs.readValue());
        send(adapters, v1.getAdapterId(), v1);
        return v1;
    }
}
