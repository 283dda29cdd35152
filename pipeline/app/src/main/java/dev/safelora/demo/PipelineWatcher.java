package dev.safelora.demo;

import dev.safelora.contracts.Topic;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.schema.AdapterPublished;
import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.AlignmentFailed;
import dev.safelora.schema.AlignmentReady;
import dev.safelora.schema.EvaluationCompleted;
import dev.safelora.schema.TrainingPhase;
import dev.safelora.schema.TrainingProgress;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.stage.DeadLetters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Follows one demo run on the output topics from the moment it is opened: the family's alignment, the
 * requests' progress, adapters and evaluations, and every dead-letter topic. Tells progress as
 * one-line messages and turns a failure event or any dead letter into a {@link DemoFailure}.
 * Every matching event is kept, so duplicates would show as counts above one.
 */
final class PipelineWatcher implements AutoCloseable {

    private static final List<Topic> WATCHED = List.of(Topic.ALIGNMENTS, Topic.TRAINING_PROGRESS, Topic.ADAPTERS,
            Topic.EVALUATIONS);

    private final String family;
    private final List<String> requestIds;
    private final Consumer<String> progress;
    private final HttpSchemaRegistryClient registry;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, Deserializer<? extends SpecificRecord>> deserializers = new HashMap<>();

    private AlignmentReady alignment;
    private final Map<String, List<AdapterPublished>> adapters = new HashMap<>();
    private final Map<String, List<EvaluationCompleted>> evaluations = new HashMap<>();
    private final Map<String, TrainingPhase> lastPhase = new HashMap<>();
    private final Map<String, Long> lastPercent = new HashMap<>();

    /** @param requestIds the requests to follow, in the order they are submitted */
    PipelineWatcher(ClientSettings settings, String family, List<String> requestIds, Consumer<String> progress) {
        this.family = family;
        this.requestIds = List.copyOf(requestIds);
        for (String id : this.requestIds) {
            adapters.put(id, new ArrayList<>());
            evaluations.put(id, new ArrayList<>());
        }
        this.progress = progress;
        this.registry = settings.registryClient();
        for (Topic topic : WATCHED) {
            deserializers.put(topic.topicName(), AvroDeserializer.specific(registry, topic.valueClass()));
        }
        Map<String, Object> props = settings.standaloneConsumerProperties();
        props.put("client.id", "safelora-demo-watcher");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : watchedTopicNames()) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end now: records produced from here on count
    }

    private static List<String> watchedTopicNames() {
        List<String> names = new ArrayList<>();
        WATCHED.forEach(t -> names.add(t.topicName()));
        for (Topic t : Topic.values()) {
            names.add(t.dlqName());
        }
        return names;
    }

    /** Reads what arrived within {@code timeout}; throws on a failure event or a dead letter. */
    void poll(Duration timeout) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
            if (record.topic().endsWith(Topic.DLQ_SUFFIX)) {
                throw new DemoFailure(deadLetterLine(record));
            }
            Object value = deserializers.get(record.topic()).deserialize(record.topic(), record.headers(), record.value());
            if (value instanceof AlignmentEvent event) {
                onAlignment(event);
            } else if (value instanceof TrainingProgress event) {
                onProgress(event);
            } else if (value instanceof AdapterPublished event && adapters.containsKey(event.getRequestId())) {
                adapters.get(event.getRequestId()).add(event);
                progress.accept(event.getRequestId() + ": adapter published: " + event.getAdapterId() + " at " + event.getUri()
                        + " (projected " + event.getProjectedModules().size() + " modules)");
            } else if (value instanceof EvaluationCompleted event && evaluations.containsKey(event.getRequestId())) {
                evaluations.get(event.getRequestId()).add(event);
                progress.accept(event.getRequestId() + ": evaluation completed: Pdst " + String.format("%.4f", event.getPdst()));
            }
        }
    }

    /** Polls until every request's adapter and evaluation have arrived, or {@code deadline} (System.nanoTime) passes. */
    void awaitCompletion(long deadlineNanos, Duration total) {
        Optional<String> waiting;
        while ((waiting = firstUnfinished()).isPresent()) {
            if (System.nanoTime() > deadlineNanos) {
                String id = waiting.get();
                TrainingPhase phase = lastPhase.get(id);
                throw new DemoFailure("timed out after " + total.toSeconds() + " s waiting for "
                        + (alignment == null ? "the alignment"
                        : (adapters.get(id).isEmpty() ? "the adapter" : "the evaluation") + " of request " + id)
                        + " (last training phase: " + (phase == null ? "none" : phase) + ")");
            }
            poll(Duration.ofMillis(200));
        }
    }

    private Optional<String> firstUnfinished() {
        return requestIds.stream().filter(id -> adapters.get(id).isEmpty() || evaluations.get(id).isEmpty()).findFirst();
    }

    /** Reads each watched partition up to its current end, so that late duplicates would be counted. */
    void drain() {
        Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            if (System.nanoTime() > deadline) {
                break;
            }
            poll(Duration.ofMillis(100));
        }
    }

    private void onAlignment(AlignmentEvent event) {
        if (!event.getFamily().equals(family)) {
            return;
        }
        if (event.getOutcome() instanceof AlignmentFailed failed) {
            throw new DemoFailure("alignment of family " + family + " failed: " + failed.getReason()
                    + " (" + failed.getErrorCode() + ")");
        }
        alignment = (AlignmentReady) event.getOutcome();
        progress.accept("alignment ready: " + alignment.getModules().size() + " modules at " + alignment.getAlignmentUri()
                + " (" + alignment.getDurationMs() + " ms)");
    }

    private void onProgress(TrainingProgress event) {
        String id = event.getRequestId();
        if (!adapters.containsKey(id)) {
            return;
        }
        TrainingPhase phase = event.getPhase();
        if (phase == TrainingPhase.FAILED) {
            throw new DemoFailure("training of " + id + " failed: "
                    + Optional.ofNullable(event.getMessage()).orElse("no reason given"));
        }
        if (phase == TrainingPhase.TRAINING && event.getTotalSteps() > 0) {
            long percent = 100 * event.getStep() / event.getTotalSteps();
            long last = lastPercent.getOrDefault(id, -1L);
            if (percent / 25 > last / 25 || last < 0) {
                lastPercent.put(id, percent);
                progress.accept(String.format("%s: training %3d%% (step %d/%d, epoch %d%s)", id, percent, event.getStep(),
                        event.getTotalSteps(), event.getEpoch(),
                        event.getLoss() == null ? "" : String.format(", loss %.4f", event.getLoss())));
            }
        } else if (phase != lastPhase.get(id)) {
            progress.accept(id + ": trainer: " + phase.name().toLowerCase() + (event.getMessage() == null ? "" : " - " + event.getMessage()));
        }
        lastPhase.put(id, phase);
    }

    private static String deadLetterLine(ConsumerRecord<String, byte[]> record) {
        String source = header(record, DeadLetters.SOURCE_TOPIC).orElse(record.topic().replace(Topic.DLQ_SUFFIX, ""));
        return "stage " + header(record, DeadLetters.STAGE).orElse("?") + " dead-lettered a record of " + source
                + " (key " + record.key() + "): " + header(record, DeadLetters.ERROR_MESSAGE).orElse("no reason given");
    }

    private static Optional<String> header(ConsumerRecord<?, ?> record, String key) {
        return Optional.ofNullable(DeadLetters.header(record.headers(), key));
    }

    Optional<AlignmentReady> alignment() {
        return Optional.ofNullable(alignment);
    }

    List<AdapterPublished> adapters(String requestId) {
        return List.copyOf(adapters.get(requestId));
    }

    List<EvaluationCompleted> evaluations(String requestId) {
        return List.copyOf(evaluations.get(requestId));
    }

    @Override
    public void close() {
        try {
            consumer.close(Duration.ofSeconds(5));
        } finally {
            registry.close();
        }
    }
}
