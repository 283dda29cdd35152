package dev.safelora.planner;

import java.time.Instant;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentFailed;
import dev.safelora.serde.AvroDeserializer;

/**
 * {@code safelora.alignments.v1} (key family). A READY alignment becomes the family's alignment (see
 * {@link FamilyPlanner#alignmentReady}). A FAILED one changes nothing: the family's previous READY
 * alignment stays in force (as the schema says), and requests still waiting keep waiting for a later
 * READY alignment of the family - a failed registration is usually fixed by registering again, and
 * dropping or dead-lettering the requests would lose them. A tombstone removes the family's alignment
 * (later requests wait).
 */
final class AlignmentProcessor extends InputProcessor<AlignmentEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(AlignmentProcessor.class);

    private final JobFactory jobs;
    private FamilyPlanner planner;
    private KeyValueStore<String, AlignmentEvent> alignments;

    AlignmentProcessor(SchemaRegistryClient registry, JobFactory jobs, PlannerMetrics metrics) {
        super(Topic.ALIGNMENTS.topicName(), AvroDeserializer.specific(registry, AlignmentEvent.class), metrics);
        this.jobs = jobs;
    }

    @Override
    protected void open(ProcessorContext<String, Emit> context) {
        planner = new FamilyPlanner(context, jobs, metrics, this::forward);
        alignments = context.getStateStore(PlannerStores.ALIGNMENTS);
    }

    @Override
    protected void handle(Record<String, byte[]> record, AlignmentEvent alignment) {
        RecordChecks.alignment(record.key(), alignment);
        if (alignment.getOutcome() instanceof AlignmentFailed failed) {
            metrics.alignmentFailed();
            LOG.warn("planner: alignment of family {} failed ({}: {}); the family keeps its previous alignment and "
                    + "waiting requests keep waiting", alignment.getFamily(), failed.getErrorCode(), failed.getReason());
            return;
        }
        planner.alignmentReady(alignment, Instant.ofEpochMilli(record.timestamp()));
    }

    @Override
    protected void tombstone(Record<String, byte[]> record) {
        if (record.key() != null) {
            alignments.delete(record.key());
        }
    }
}
