package dev.safelora.stage.alignment;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.ModelRegistration;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.stage.LongJobLoop;
import dev.safelora.stage.StageConfig;
import dev.safelora.stage.StageMetrics;
import dev.safelora.stage.StageWiring;
import dev.safelora.stage.jobs.StageArtifacts;
import dev.safelora.stage.jobs.WorkerSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/**
 * Wires the alignment stage: registrations are decoded from the Confluent wire format (undecodable ones go
 * to the DLQ), aligned by a {@link RegistrationAligner} on the long-job loop's worker thread (a large model
 * takes minutes; the consumer keeps polling meanwhile) and the event is published before the offset is
 * committed. Replays are harmless: the artifact path and the event's ids are functions of the registration,
 * and an artifact already in the store is reused instead of recomputed.
 */
public final class AlignmentStage {

    public static final String NAME = "alignment";

    /** Configuration and loop of this stage, for the CLI and the demo. */
    public static final StageWiring WIRING = new StageWiring(AlignmentStage::config, AlignmentStage::loop);

    private AlignmentStage() {
    }

    /** The stage's configuration: defaults, then {@code file} (may be null), then the environment. */
    public static StageConfig config(Path file, Map<String, String> env) {
        return StageConfig.load(NAME, List.of(Topic.MODEL_REGISTRATIONS.topicName()), file, env);
    }

    public static LongJobLoop<ModelRegistration, SpecificRecord> loop(StageConfig config, StageMetrics metrics, Map<String, String> env) {
        WorkerSettings settings = WorkerSettings.from(config, env);
        StageArtifacts artifacts = StageArtifacts.of(config, settings, env);
        HttpSchemaRegistryClient registry = config.client().registryClient();
        RegistrationAligner aligner = new RegistrationAligner(artifacts, settings.alignmentsTopic(), config.workDir().resolve(NAME));
        return new LongJobLoop<>(config, AvroDeserializer.specific(registry, ModelRegistration.class),
                new AvroSerializer<>(registry, true), aligner, metrics);
    }
}
