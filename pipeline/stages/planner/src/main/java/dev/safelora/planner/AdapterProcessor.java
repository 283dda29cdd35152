package dev.safelora.planner;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.serde.AvroDeserializer;

/**
 * {@code safelora.adapters.v1} (key adapter id): remembers every adapter by id (for ADAPTER-scoped
 * selections) and passes it on, re-keyed by family, to {@link FamilyProcessor#adapters}.
 */
final class AdapterProcessor extends InputProcessor<AdapterPublished> {

    private KeyValueStore<String, AdapterPublished> adapters;

    AdapterProcessor(SchemaRegistryClient registry, PlannerMetrics metrics) {
        super(Topic.ADAPTERS.topicName(), AvroDeserializer.specific(registry, AdapterPublished.class), metrics);
    }

    @Override
    protected void open(ProcessorContext<String, Emit> context) {
        adapters = context.getStateStore(PlannerStores.ADAPTERS);
    }

    @Override
    protected void handle(Record<String, byte[]> record, AdapterPublished adapter) {
        RecordChecks.adapter(record.key(), adapter);
        adapters.put(adapter.getAdapterId(), adapter);
        forwardRekeyed(record, adapter.getFamily(), adapter);
    }
}
