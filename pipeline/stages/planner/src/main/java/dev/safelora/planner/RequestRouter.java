package dev.safelora.planner;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.TrainingRequest;
import dev.safelora.serde.AvroDeserializer;

/**
 * {@code safelora.training-requests.v1} (key request id): checks each request and re-keys it by family.
 * Request ids are checked here, before re-keying: a request that waits for its alignment is not planned
 * yet, and a reused id naming another family would reach another family's task.
 */
final class RequestRouter extends InputProcessor<TrainingRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(RequestRouter.class);

    private KeyValueStore<String, TrainingRequest> seen;

    RequestRouter(SchemaRegistryClient registry, PlannerMetrics metrics) {
        super(Topic.TRAINING_REQUESTS.topicName(), AvroDeserializer.specific(registry, TrainingRequest.class), metrics);
    }

    @Override
    protected void open(ProcessorContext<String, Emit> context) {
        seen = context.getStateStore(PlannerStores.REQUESTS);
    }

    @Override
    protected void handle(Record<String, byte[]> record, TrainingRequest request) {
        RecordChecks.request(record.key(), request);
        TrainingRequest earlier = seen.get(request.getRequestId());
        if (earlier != null && RecordChecks.replays(earlier, request)) {
            LOG.info("planner: request {} was seen before; the replay plans nothing new", request.getRequestId());
            return;
        }
        seen.put(request.getRequestId(), request);
        forwardRekeyed(record, request.getFamily(), request);
    }
}
