package dev.safelora.stage.trainer;

import dev.safelora.contracts.Topic;
import dev.safelora.model.ComputeDevice;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.TrainingJob;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.serde.AvroSerializer;
import dev.safelora.stage.LongJobLoop;
import dev.safelora.stage.StageConfig;
import dev.safelora.stage.StageMetrics;
import dev.safelora.stage.StageWiring;
import dev.safelora.stage.jobs.StageArtifacts;
import dev.safelora.stage.jobs.WorkerSettings;
import dev.safelora.training.PromptTemplate;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/**
 * Wires the trainer stage: {@code safelora.training-jobs.v1} on the long-job loop (partition paused,
 * training on a worker thread, polling goes on), in exactly-once mode unless {@code stage.exactly.once=false}:
 * the adapter and evaluation events and the job's offset are committed in one Kafka transaction, so
 * read_committed consumers see one adapter per job even across crashes; the
 * {@link dev.safelora.stage.jobs.PublishedOutputs} record in the store keeps a redelivered or duplicated
 * job from training again or publishing a second adapter. On SIGTERM the loop waits
 * {@code stage.shutdown.deadline} for the running job, then cancels it: training stops at the next step
 * boundary, checkpoints, and the next owner of the partition resumes from that checkpoint when it shares
 * the work dir (a persistent volume in Kubernetes).
 */
public final class TrainerStage {

    public static final String NAME = "trainer";

    /** Configuration and loop of this stage, for the CLI and the demo. */
    public static final StageWiring WIRING = new StageWiring(TrainerStage::config, TrainerStage::loop);

    private TrainerStage() {
    }

    public static StageConfig config(Path file, Map<String, String> env) {
        return StageConfig.load(NAME, List.of(Topic.TRAINING_JOBS.topicName()), file, env).exactlyOnceUnlessSet();
    }

    public static LongJobLoop<TrainingJob, SpecificRecord> loop(StageConfig config, StageMetrics metrics, Map<String, String> env) {
        WorkerSettings settings = WorkerSettings.from(config, env);
        PromptTemplate.fromName(settings.template()); // a bad template fails at start, not on every job
        // A node without a working GPU refuses to start (one line naming driver and runtime) instead of
        // taking jobs it can only fail; the CLI exits 1 and the pod never reports healthy.
        ComputeDevice device = ComputeDevice.requireWorking(settings.device());
        StageArtifacts artifacts = StageArtifacts.of(config, settings, env);
        HttpSchemaRegistryClient registry = config.client().registryClient();
        return new LongJobLoop<>(config, AvroDeserializer.specific(registry, TrainingJob.class), new AvroSerializer<>(registry, true),
                new TrainingJobRunner(artifacts, settings, config.workDir().resolve(NAME).resolve("runs"), device), metrics);
    }
}
