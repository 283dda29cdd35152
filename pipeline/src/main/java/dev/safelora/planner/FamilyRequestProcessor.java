package dev.safelora.planner;

import java.time.Instant;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.serde.AvroSerializer;

/** Training requests re-keyed by family: planned or parked by {@link FamilyPlanner#request}. */
final class FamilyRequestProcessor extends RepartitionedProcessor<TrainingRequest> {

    private final JobFactory jobs;
    private FamilyPlanner planner;
    private long timestamp;

    FamilyRequestProcessor(SchemaRegistryClient registry, JobFactory jobs, PlannerMetrics metrics) {
        super(Topic.TRAINING_REQUESTS.topicName(), new AvroSerializer<>(registry, true), metrics);
        this.jobs = jobs;
    }

    @Override
    protected void open(ProcessorContext<String, Emit> context) {
        planner = new FamilyPlanner(context, jobs, metrics, (key, out) -> forward(key, out, timestamp));
    }

    @Override
    protected void handle(Record<String, TrainingRequest> record, TrainingRequest request) {
        timestamp = record.timestamp();
        planner.request(request, Instant.ofEpochMilli(record.timestamp()));
    }
}
