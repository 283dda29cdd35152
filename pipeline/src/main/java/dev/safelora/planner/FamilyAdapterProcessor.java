package dev.safelora.planner;

import java.time.Instant;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.serde.AvroSerializer;

/** Published adapters re-keyed by family: lineage heads, refreshed when stale ({@link FamilyPlanner#adapterPublished}). */
final class FamilyAdapterProcessor extends RepartitionedProcessor<AdapterPublished> {

    private final JobFactory jobs;
    private FamilyPlanner planner;
    private long timestamp;

    FamilyAdapterProcessor(SchemaRegistryClient registry, JobFactory jobs, PlannerMetrics metrics) {
        super(Topic.ADAPTERS.topicName(), new AvroSerializer<>(registry, true), metrics);
        this.jobs = jobs;
    }

    @Override
    protected void open(ProcessorContext<String, Emit> context) {
        planner = new FamilyPlanner(context, jobs, metrics, (key, out) -> forward(key, out, timestamp));
    }

    @Override
    protected void handle(Record<String, AdapterPublished> record, AdapterPublished adapter) {
        timestamp = record.timestamp();
        planner.adapterPublished(adapter, Instant.ofEpochMilli(record.timestamp()));
    }
}
