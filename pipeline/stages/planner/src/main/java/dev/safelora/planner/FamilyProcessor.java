package dev.safelora.planner;

import java.time.Instant;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.serde.AvroSerializer;
import org.apache.avro.specific.SpecificRecord;

/**
 * Records re-keyed by family, handed to the {@link FamilyPlanner}: training requests are planned or
 * parked ({@link FamilyPlanner#request}); published adapters become lineage heads, refreshed when stale
 * ({@link FamilyPlanner#adapterPublished}).
 */
final class FamilyProcessor<V extends SpecificRecord> extends RepartitionedProcessor<V> {

    /** What the planner does with one record. */
    interface Step<V> {
        void apply(FamilyPlanner planner, V value, Instant at);
    }

    private final JobFactory jobs;
    private final Step<V> step;
    private FamilyPlanner planner;

    private FamilyProcessor(Topic source, SchemaRegistryClient registry, JobFactory jobs, PlannerMetrics metrics, Step<V> step) {
        super(source.topicName(), new AvroSerializer<>(registry, true), metrics);
        this.jobs = jobs;
        this.step = step;
    }

    static FamilyProcessor<TrainingRequest> requests(SchemaRegistryClient registry, JobFactory jobs, PlannerMetrics metrics) {
        return new FamilyProcessor<>(Topic.TRAINING_REQUESTS, registry, jobs, metrics, FamilyPlanner::request);
    }

    static FamilyProcessor<AdapterPublished> adapters(SchemaRegistryClient registry, JobFactory jobs, PlannerMetrics metrics) {
        return new FamilyProcessor<>(Topic.ADAPTERS, registry, jobs, metrics, FamilyPlanner::adapterPublished);
    }

    @Override
    protected void open(ProcessorContext<String, Emit> context) {
        planner = new FamilyPlanner(context, jobs, metrics, this::forward);
    }

    @Override
    protected void handle(Record<String, V> record, V value) {
        step.apply(planner, value, Instant.ofEpochMilli(record.timestamp()));
    }
}
