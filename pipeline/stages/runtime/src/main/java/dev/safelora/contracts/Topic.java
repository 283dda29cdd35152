package dev.safelora.contracts;

import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AuditAnchor;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.EvaluationCompleted;
import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.ModelRegistration;
import dev.safelora.schema.ProjectionJob;
import dev.safelora.schema.TrainingJob;
import dev.safelora.schema.TrainingProgress;
import dev.safelora.schema.TrainingRequest;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Every topic of the pipeline (DESIGN.md, "Stages and topics"): its name, what its string key
 * means, the Avro class of its values, and whether it is compacted keyed state. Each topic has a
 * dead-letter topic {@link #dlqName()}: a dead-lettered record keeps its original key and value
 * bytes (so an operator can replay it as is) and says what went wrong in {@code safelora.dlq.*}
 * headers ({@code dev.safelora.stage.DeadLetters}).
 */
public enum Topic {
    MODEL_REGISTRATIONS("safelora.model-registrations.v1", "family", ModelRegistration.class, false),
    ALIGNMENTS("safelora.alignments.v1", "family", AlignmentEvent.class, true),
    LAYER_SELECTIONS("safelora.layer-selections.v1", "family or adapter id", LayerSelection.class, true),
    TRAINING_REQUESTS("safelora.training-requests.v1", "request id", TrainingRequest.class, false),
    TRAINING_JOBS("safelora.training-jobs.v1", "request id", TrainingJob.class, false),
    PROJECTION_JOBS("safelora.projection-jobs.v1", "source adapter id", ProjectionJob.class, false),
    TRAINING_PROGRESS("safelora.training-progress.v1", "request id", TrainingProgress.class, false),
    ADAPTERS("safelora.adapters.v1", "adapter id", AdapterPublished.class, false),
    EVALUATIONS("safelora.evaluations.v1", "adapter id", EvaluationCompleted.class, false),
    AUDIT_ANCHORS("safelora.audit-anchors.v1", "ledger id/topic/partition", AuditAnchor.class, true);

    /** Suffix of every dead-letter topic: {@code <input topic>.dlq}. */
    public static final String DLQ_SUFFIX = ".dlq";

    private final String topicName;
    private final String keyMeaning;
    private final Class<? extends SpecificRecord> valueClass;
    private final boolean compacted;

    Topic(String topicName, String keyMeaning, Class<? extends SpecificRecord> valueClass, boolean compacted) {
        this.topicName = topicName;
        this.keyMeaning = keyMeaning;
        this.valueClass = valueClass;
        this.compacted = compacted;
    }

    /** The Kafka topic name, e.g. {@code safelora.training-requests.v1}. */
    public String topicName() {
        return topicName;
    }

    /** What the (string) record key holds, e.g. "request id". */
    public String keyMeaning() {
        return keyMeaning;
    }

    /** The generated Avro class of the record values. */
    public Class<? extends SpecificRecord> valueClass() {
        return valueClass;
    }

    /** The Avro schema of the record values (registered under {@code <topic>-value}). */
    public Schema valueSchema() {
        return SpecificData.get().getSchema(valueClass);
    }

    /** True for keyed state (latest value per key wins): cleanup.policy=compact. */
    public boolean compacted() {
        return compacted;
    }

    /** The dead-letter topic of this topic: {@code <topic>.dlq}, carrying the original records plus reason headers. */
    public String dlqName() {
        return topicName + DLQ_SUFFIX;
    }

    /** The topic with this exact name (not a DLQ name). */
    public static Optional<Topic> byName(String name) {
        return Arrays.stream(values()).filter(t -> t.topicName.equals(name)).findFirst();
    }

    /** The topic whose dead-letter topic has this name. */
    public static Optional<Topic> byDlqName(String name) {
        return Arrays.stream(values()).filter(t -> t.dlqName().equals(name)).findFirst();
    }

    /** Every topic name, main topics first, then their dead-letter topics. */
    public static List<String> allTopicNames() {
        return java.util.stream.Stream.concat(
                        Arrays.stream(values()).map(Topic::topicName), Arrays.stream(values()).map(Topic::dlqName))
                .toList();
    }

    /**
     * The value schema of any topic name; for a dead-letter topic its source topic's, since a dead letter keeps
     * the original value bytes (when they were Avro at all).
     */
    public static Optional<Schema> valueSchemaOf(String name) {
        return byName(name).or(() -> byDlqName(name)).map(Topic::valueSchema);
    }
}
