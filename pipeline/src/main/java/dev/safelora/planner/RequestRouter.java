package dev.safelora.planner;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.serde.AvroDeserializer;

/** {@code safelora.training-requests.v1} (key request id): checks each request and re-keys it by family. */
final class RequestRouter extends InputProcessor<TrainingRequest> {

    RequestRouter(SchemaRegistryClient registry, PlannerMetrics metrics) {
        super(Topic.TRAINING_REQUESTS.topicName(), AvroDeserializer.specific(registry, TrainingRequest.class), metrics);
    }

    @Override
    protected void open(ProcessorContext<String, Emit> context) {
    }

    @Override
    protected void handle(Record<String, byte[]> record, TrainingRequest request) {
        RecordChecks.request(record.key(), request);
        context.forward(new Record<String, Emit>(request.getFamily(), new Emit.Rekeyed(request), record.timestamp(),
                withOrigin(record)));
    }
}
