package dev.safelora.stage.projector;

import dev.safelora.contracts.Topic;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.ProjectionJob;
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
 * Wires the projector stage on the long-job loop, in exactly-once mode unless {@code stage.exactly.once}
 * says otherwise: the adapter and evaluation events and the job's offset are committed in one transaction,
 * and {@link dev.safelora.stage.jobs.PublishedOutputs} keeps a redelivered job from publishing a second
 * adapter.
 */
public final class ProjectorStage {

    public static final String NAME = "projector";

    /** Configuration and loop of this stage, for the CLI and the demo. */
    public static final StageWiring WIRING = new StageWiring(ProjectorStage::config, ProjectorStage::loop);

    private ProjectorStage() {
    }

    public static StageConfig config(Path file, Map<String, String> env) {
        return StageConfig.load(NAME, List.of(Topic.PROJECTION_JOBS.topicName()), file, env).exactlyOnceUnlessSet();
    }

    public static LongJobLoop<ProjectionJob, SpecificRecord> loop(StageConfig config, StageMetrics metrics, Map<String, String> env) {
        WorkerSettings settings = WorkerSettings.from(config, env);
        StageArtifacts artifacts = StageArtifacts.of(config, settings, env);
        HttpSchemaRegistryClient registry = config.client().registryClient();
        return new LongJobLoop<>(config, AvroDeserializer.specific(registry, ProjectionJob.class), new AvroSerializer<>(registry, true),
                new ProjectionJobRunner(artifacts, settings), metrics);
    }
}
