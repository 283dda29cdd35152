package dev.safelora.planner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
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
import dev.safelora.schema.TrainingJob;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.testkit.SharedCluster;

/**
 * Any interleaving of training requests, READY and FAILED alignments over a few families plans exactly
 * the jobs a naive replay of the rule says: each request once, with its family's latest READY alignment
 * at the moment it is released (at once if there is one, else at the family's next READY alignment).
 */
class PlannerReleaseProperties {

    private static final AtomicInteger TRIES = new AtomicInteger();
    private static Path stateDir;
    private static TopologyTestDriver driver;
    private static TestInputTopic<String, SpecificRecord> alignments;
    private static TestInputTopic<String, SpecificRecord> requests;
    private static TestOutputTopic<String, TrainingJob> jobs;

    enum Kind { REQUEST, READY, FAILED }

    record Event(Kind kind, int family) {
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
        Arbitrary<Event> event = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, Arbitraries.integers().between(0, 2).map(f -> new Event(Kind.REQUEST, f))),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 2).map(f -> new Event(Kind.READY, f))),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 2).map(f -> new Event(Kind.FAILED, f))));
        return event.list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 25)
    void everyRequestIsPlannedOnceWithTheAlignmentInForceWhenReleased(@ForAll("histories") List<Event> history) {
        String run = "t" + TRIES.incrementAndGet();
        Map<Integer, UUID> current = new HashMap<>();
        Map<Integer, List<String>> waiting = new HashMap<>();
        Map<String, UUID> expected = new HashMap<>();
        int n = 0;
        for (Event e : history) {
            String family = run + "-f" + e.family();
            n++;
            switch (e.kind()) {
                case REQUEST -> {
                    String requestId = run + "-r" + n;
                    requests.pipeInput(requestId, PlannerRecords.request(requestId, family), PlannerRecords.T0);
                    if (current.containsKey(e.family())) {
                        expected.put(requestId, current.get(e.family()));
                    } else {
                        waiting.computeIfAbsent(e.family(), f -> new ArrayList<>()).add(requestId);
                    }
                }
                case READY -> {
                    UUID alignmentId = UUID.randomUUID();
                    alignments.pipeInput(family, PlannerRecords.ready(family, alignmentId, "base", "aligned-" + n), PlannerRecords.T0);
                    current.put(e.family(), alignmentId);
                    for (String requestId : waiting.getOrDefault(e.family(), List.of())) {
                        expected.put(requestId, alignmentId);
                    }
                    waiting.remove(e.family());
                }
                case FAILED -> alignments.pipeInput(family, PlannerRecords.failed(family, UUID.randomUUID()), PlannerRecords.T0);
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
