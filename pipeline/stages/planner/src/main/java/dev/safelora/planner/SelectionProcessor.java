package dev.safelora.planner;

import java.time.Instant;

import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.SchemaRegistryClient;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.LineageReason;
import dev.safelora.schema.ProjectionJob;
import dev.safelora.schema.SelectionScope;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.stage.BadInputException;

/**
 * {@code safelora.layer-selections.v1}. Scope FAMILY (key family): the family's policy for adapters
 * trained from now on. Scope ADAPTER (key adapter id): a projection job re-projecting that adapter's raw
 * weights with the new policy and the alignment it was projected with (SELECTION_CHANGED); a selection
 * for an adapter that was never published is a dead letter, and a replayed one (the record planned last for that
 * adapter) plans nothing new. A tombstone removes a family policy.
 */
final class SelectionProcessor extends InputProcessor<LayerSelection> {

    private static final Logger LOG = LoggerFactory.getLogger(SelectionProcessor.class);

    private final JobFactory jobs;
    private KeyValueStore<String, LayerSelection> policies;
    private KeyValueStore<String, AdapterPublished> adapters;
    private KeyValueStore<String, LayerSelection> planned;

    SelectionProcessor(SchemaRegistryClient registry, JobFactory jobs, PlannerMetrics metrics) {
        super(Topic.LAYER_SELECTIONS.topicName(), AvroDeserializer.specific(registry, LayerSelection.class), metrics);
        this.jobs = jobs;
    }

    @Override
    protected void open(ProcessorContext<String, Emit> context) {
        policies = context.getStateStore(PlannerStores.POLICIES);
        adapters = context.getStateStore(PlannerStores.ADAPTERS);
        planned = context.getStateStore(PlannerStores.ADAPTER_SELECTIONS);
    }

    @Override
    protected void handle(Record<String, byte[]> record, LayerSelection selection) {
        RecordChecks.selection(record.key(), selection);
        if (selection.getScope() == SelectionScope.FAMILY) {
            policies.put(selection.getTarget(), selection);
            return;
        }
        if (selection.getPolicy().getMode() == dev.safelora.schema.SelectionMode.AUTO) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, "layer selection " + selection.getSelectionId()
                    + " asks for AUTO on adapter '" + selection.getTarget() + "': the AUTO search needs the model and evaluation"
                    + " sets, which re-projection does not have; use AUTO in a training request (retrainOf the adapter) or a FAMILY policy");
        }
        AdapterPublished adapter = adapters.get(selection.getTarget());
        if (adapter == null) {
            throw new BadInputException(BadInputException.Cause.VALIDATION, "layer selection " + selection.getSelectionId()
                    + " targets adapter '" + selection.getTarget() + "', which has not been published; "
                    + "scope ADAPTER needs an existing adapter (scope FAMILY sets the policy for new ones)");
        }
        if (selection.equals(planned.get(selection.getTarget()))) {
            LOG.info("planner: layer selection {} for adapter {} was already planned; the replay plans nothing new",
                    selection.getSelectionId(), selection.getTarget());
            return;
        }
        planned.put(selection.getTarget(), selection);
        ProjectionJob job = jobs.projection(adapter, adapter.getAlignment(), selection.getPolicy(),
                LineageReason.SELECTION_CHANGED, Instant.ofEpochMilli(record.timestamp()));
        metrics.job(Topic.PROJECTION_JOBS.topicName(), job.getReason().name());
        forward(job.getSourceAdapterId(), new Emit.Projection(job), record.timestamp());
    }

    @Override
    protected void tombstone(Record<String, byte[]> record) {
        if (record.key() != null) {
            policies.delete(record.key());
        }
    }
}
