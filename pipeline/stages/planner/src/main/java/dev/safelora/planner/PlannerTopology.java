package dev.safelora.planner;

import java.util.OptionalInt;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.TopicNameExtractor;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.ProjectionJob;
import dev.safelora.schema.TrainingJob;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.serde.AvroSerdes;
import dev.safelora.stage.DeadLetters;

/**
 * The planner's Kafka Streams topology.
 *
 * <pre>
 * alignments.v1        (family)      -> AlignmentProcessor ----------------------------+
 * layer-selections.v1  (family|id)   -> SelectionProcessor ----------------------------+
 * training-requests.v1 (request id)  -> RequestRouter -> [requests-by-family] -> FamilyProcessor.requests -+
 * adapters.v1          (adapter id)  -> AdapterProcessor -> [adapters-by-family] -> FamilyProcessor.adapters -+
 *                                                                                    |
 *    training-jobs.v1 (request id) | projection-jobs.v1 (source adapter id) | &lt;input topic&gt;.dlq  &lt;-+
 * </pre>
 *
 * Inputs are read as bytes and decoded inside the processors, so an undecodable record becomes a dead
 * letter instead of stopping the stream. Family-keyed state and adapter-keyed state live in the same
 * tasks: every input topic must have the same number of partitions (the topic bootstrap makes them so;
 * {@link PlannerPartitions} checks it at start) and the repartition topics get that number too.
 */
public final class PlannerTopology {

    /** Names of the repartition topics (prefixed by the application id and suffixed {@code -repartition}). */
    static final String REQUESTS_BY_FAMILY = "planner-requests-by-family";
    static final String ADAPTERS_BY_FAMILY = "planner-adapters-by-family";

    private PlannerTopology() {
    }

    /**
     * @param registry     schema registry for every serde (inputs, outputs, state stores, repartition topics)
     * @param artifactsUri artifact-store root under which jobs write ({@code <root>/adapters/<adapter id>})
     */
    public static Topology build(SchemaRegistryClient registry, String artifactsUri, PlannerMetrics metrics) {
        return build(registry, artifactsUri, metrics, OptionalInt.empty());
    }

    /**
     * @param partitions the input topics' common partition count, which the repartition topics then get too;
     *                   empty lets Kafka Streams size them (tests on the topology test driver)
     */
    public static Topology build(SchemaRegistryClient registry, String artifactsUri, PlannerMetrics metrics, OptionalInt partitions) {
        JobFactory jobs = new JobFactory(artifactsUri);
        StreamsBuilder builder = new StreamsBuilder();
        PlannerStores.builders(registry).forEach(builder::addStateStore);
        Consumed<String, byte[]> raw = Consumed.with(Serdes.String(), Serdes.ByteArray());
        String[] familyStores = FamilyPlanner.familyStores();

        KStream<String, Emit> fromAlignments = builder.stream(Topic.ALIGNMENTS.topicName(), raw.withName("alignments"))
                .process(() -> new AlignmentProcessor(registry, jobs, metrics), Named.as("plan-alignments"), familyStores);
        KStream<String, Emit> fromSelections = builder.stream(Topic.LAYER_SELECTIONS.topicName(), raw.withName("layer-selections"))
                .process(() -> new SelectionProcessor(registry, jobs, metrics), Named.as("plan-selections"),
                        PlannerStores.POLICIES, PlannerStores.ADAPTERS, PlannerStores.ADAPTER_SELECTIONS);

        KStream<String, Emit> routedRequests = builder.stream(Topic.TRAINING_REQUESTS.topicName(), raw.withName("training-requests"))
                .process(() -> new RequestRouter(registry, metrics), Named.as("route-requests"), PlannerStores.REQUESTS);
        KStream<String, Emit> fromRequests = byFamily(routedRequests, "requests", TrainingRequest.class, registry,
                REQUESTS_BY_FAMILY, partitions)
                .process(() -> FamilyProcessor.requests(registry, jobs, metrics), Named.as("plan-requests"), familyStores);

        KStream<String, Emit> indexedAdapters = builder.stream(Topic.ADAPTERS.topicName(), raw.withName("adapters"))
                .process(() -> new AdapterProcessor(registry, metrics), Named.as("index-adapters"), PlannerStores.ADAPTERS);
        KStream<String, Emit> fromAdapters = byFamily(indexedAdapters, "adapters", AdapterPublished.class, registry,
                ADAPTERS_BY_FAMILY, partitions)
                .process(() -> FamilyProcessor.adapters(registry, jobs, metrics), Named.as("plan-adapters"), familyStores);

        KStream<String, Emit> outputs = fromAlignments
                .merge(fromSelections, Named.as("merge-selections"))
                .merge(routedRequests.filter((k, v) -> !(v instanceof Emit.Rekeyed), Named.as("requests-rejected")),
                        Named.as("merge-request-rejects"))
                .merge(fromRequests, Named.as("merge-requests"))
                .merge(indexedAdapters.filter((k, v) -> !(v instanceof Emit.Rekeyed), Named.as("adapters-rejected")),
                        Named.as("merge-adapter-rejects"))
                .merge(fromAdapters, Named.as("merge-adapters"));

        outputs.filter((k, v) -> v instanceof Emit.Training, Named.as("training-jobs"))
                .mapValues(v -> ((Emit.Training) v).job(), Named.as("training-jobs-unwrap"))
                .to(Topic.TRAINING_JOBS.topicName(), Produced.with(Serdes.String(), AvroSerdes.specific(TrainingJob.class, registry))
                        .withName("training-jobs-sink"));
        outputs.filter((k, v) -> v instanceof Emit.Projection, Named.as("projection-jobs"))
                .mapValues(v -> ((Emit.Projection) v).job(), Named.as("projection-jobs-unwrap"))
                .to(Topic.PROJECTION_JOBS.topicName(), Produced.with(Serdes.String(), AvroSerdes.specific(ProjectionJob.class, registry))
                        .withName("projection-jobs-sink"));
        TopicNameExtractor<String, byte[]> deadLetterTopic = (key, value, context) ->
                DeadLetters.topicFor(DeadLetters.header(context.headers(), DeadLetters.SOURCE_TOPIC));
        outputs.filter((k, v) -> v instanceof Emit.DeadLetter, Named.as("dead-letters"))
                .mapValues(v -> ((Emit.DeadLetter) v).value(), Named.as("dead-letters-unwrap"))
                .to(deadLetterTopic, Produced.with(Serdes.String(), Serdes.ByteArray()).withName("dead-letters-sink"));
        return builder.build();
    }

    /** The re-keyed records of {@code routed}, unwrapped and repartitioned by family onto {@code repartitionName}. */
    private static <V extends SpecificRecord> KStream<String, V> byFamily(KStream<String, Emit> routed, String prefix,
            Class<V> type, SchemaRegistryClient registry, String repartitionName, OptionalInt partitions) {
        return routed
                .filter((k, v) -> v instanceof Emit.Rekeyed, Named.as(prefix + "-rekeyed"))
                .mapValues(v -> type.cast(((Emit.Rekeyed) v).value()), Named.as(prefix + "-unwrap"))
                .repartition(sized(Repartitioned.with(Serdes.String(), AvroSerdes.specific(type, registry))
                        .withName(repartitionName), partitions));
    }

    private static <V> Repartitioned<String, V> sized(Repartitioned<String, V> repartitioned, OptionalInt partitions) {
        return partitions.isPresent() ? repartitioned.withNumberOfPartitions(partitions.getAsInt()) : repartitioned;
    }
}
