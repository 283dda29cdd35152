package dev.safelora.planner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.TrainingJob;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.testkit.SharedCluster;

/**
 * Any interleaving of training requests, READY and FAILED alignments over a few families plans exactly
 * the jobs a naive replay of the rule says: each request once, with its family's latest READY alignment
 * at the moment it is released (at once if there is one, else at the family's next READY alignment).
 * Replays change nothing: a request sent again, or a family's earlier alignment sent again later (as the
 * at-least-once alignment stage does when it re-runs a registration).
 */
class PlannerReleasePropertiesTest {

    private static final AtomicInteger TRIES = new AtomicInteger();
    private static Path stateDir;
    private static TopologyTestDriver driver;
    private static TestInputTopic<String, SpecificRecord> alignments;
    private static TestInputTopic<String, SpecificRecord> requests;
    private static TestOutputTopic<String, TrainingJob> jobs;

    enum Kind { REQUEST, READY, FAILED, REPLAY_REQUEST, REPLAY_READY }

    /** @param pick which earlier record a replay sends again */
    record Event(Kind kind, int family, int pick) {
    }

    @BeforeContainer
    static void start() throws Exception {
        HttpSchemaRegistryClient registry = SharedCluster.get().registryClient();
        stateDir = Files.createTempDirectory("planner-properties");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "planner-release-properties");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(PlannerTopology.build(registry, "file:///srv/artifacts", new PlannerMetrics()), props);
        AvroSerializer<SpecificRecord> avro = new AvroSerializer<>(registry, true);
        alignments = driver.createInputTopic(Topic.ALIGNMENTS.topicName(), new StringSerializer(), avro);
        requests = driver.createInputTopic(Topic.TRAINING_REQUESTS.topicName(), new StringSerializer(), avro);
        jobs = driver.createOutputTopic(Topic.TRAINING_JOBS.topicName(), new StringDeserializer(),
                AvroDeserializer.specific(registry, TrainingJob.class));
    }

    @AfterContainer
    static void stop() {
        driver.close();
    }

    @Provide
    Arbitrary<List<Event>> histories() {
        Arbitrary<Kind> kind = Arbitraries.frequency(Tuple.of(4, Kind.REQUEST), Tuple.of(3, Kind.READY),
                Tuple.of(1, Kind.FAILED), Tuple.of(1, Kind.REPLAY_REQUEST),
                Tuple.of(2, Kind.REPLAY_READY));
        Arbitrary<Event> event = Combinators.combine(kind, Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, 11)).as(Event::new);
        return event.list().ofMinSize(4).ofMaxSize(16);
    }

    @Property(tries = 40)
    void everyRequestIsPlannedOnceWithTheAlignmentInForceWhenReleased(@ForAll("histories") List<Event> history) {
        String run = "t" + TRIES.incrementAndGet();
        Map<Integer, UUID> current = new HashMap<>();
        Map<Integer, List<String>> waiting = new HashMap<>();
        Map<String, UUID> expected = new HashMap<>();
        List<TrainingRequest> sentRequests = new ArrayList<>();
        Map<Integer, List<AlignmentEvent>> sentAlignments = new HashMap<>();
        int n = 0;
        for (Event e : history) {
            String family = run + "-f" + e.family();
            n++;
            Instant completedAt = PlannerRecords.T0.plusSeconds(n);
            switch (e.kind()) {
                case REQUEST -> {
                    String requestId = run + "-r" + n;
                    TrainingRequest request = PlannerRecords.request(requestId, family);
                    requests.pipeInput(requestId, request, PlannerRecords.T0);
                    sentRequests.add(request);
                    if (current.containsKey(e.family())) {
                        expected.put(requestId, current.get(e.family()));
                    } else {
                        waiting.computeIfAbsent(e.family(), f -> new ArrayList<>()).add(requestId);
                    }
                }
                case READY -> {
                    UUID alignmentId = UUID.randomUUID();
                    AlignmentEvent ready = AlignmentEvent.newBuilder(PlannerRecords.ready(family, alignmentId, "base", "aligned-" + n))
                            .setCompletedAt(completedAt).build();
                    alignments.pipeInput(family, ready, PlannerRecords.T0);
                    sentAlignments.computeIfAbsent(e.family(), f -> new ArrayList<>()).add(ready);
                    current.put(e.family(), alignmentId);
                    for (String requestId : waiting.getOrDefault(e.family(), List.of())) {
                        expected.put(requestId, alignmentId);
                    }
                    waiting.remove(e.family());
                }
                case FAILED -> alignments.pipeInput(family, PlannerRecords.failed(family, UUID.randomUUID()), PlannerRecords.T0);
                case REPLAY_REQUEST -> {
                    if (!sentRequests.isEmpty()) {
                        TrainingRequest again = sentRequests.get(e.pick() % sentRequests.size());
                        requests.pipeInput(again.getRequestId(), again, PlannerRecords.T0);
                    }
                }
                case REPLAY_READY -> {
                    List<AlignmentEvent> sent = sentAlignments.getOrDefault(e.family(), List.of());
                    if (!sent.isEmpty()) {
                        AlignmentEvent again = sent.get(e.pick() % sent.size());
                        alignments.pipeInput(family, AlignmentEvent.newBuilder(again).setCompletedAt(completedAt).build(),
                                PlannerRecords.T0);
                    }
                }
            }
        }
        Map<String, UUID> planned = new HashMap<>();
        for (TrainingJob job : jobs.readValuesToList()) {
            assertThat(planned.put(job.getRequestId(), job.getAlignment().getAlignmentId()))
                    .as("request %s planned twice", job.getRequestId()).isNull();
        }
        assertThat(planned).isEqualTo(expected);
    }
}
