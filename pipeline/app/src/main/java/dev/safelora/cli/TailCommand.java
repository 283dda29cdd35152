package dev.safelora.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.kafka.ClientSettings;
import dev.safelora.registry.HttpSchemaRegistryClient;
import dev.safelora.serde.AvroDeserializer;
import dev.safelora.contracts.AvroJson;
import dev.safelora.stage.DeadLetters;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tail TOPIC}: decoded records as JSON lines. */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {
            "Prints a topic's records as JSON lines, values decoded through the schema registry.",
            "",
            "Each line has topic, partition, offset, timestamp, key and the value decoded with its writer's schema "
                    + "(any topic works, DLQs included). A record that cannot be decoded is printed with an \"error\" "
                    + "field and its bytes as \"valueBase64\" instead of a value, and tailing goes on. A dead letter "
                    + "also shows why, under \"deadLetter\": stage, error class and message, source topic, partition and offset."})
public final class TailCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Parameters(paramLabel = "TOPIC", description = "The topic, e.g. safelora.training-requests.v1")
    String topic;

    @Option(names = "--max", paramLabel = "N", description = "Stop after N records.")
    Long max;

    @Option(names = "--from-beginning", description = "Start at the oldest record (default: only new records).")
    boolean fromBeginning;

    @Option(names = "--timeout", paramLabel = "S",
            description = "Stop when no record has arrived for S seconds (default: wait until interrupted).")
    Double timeoutSeconds;

    @Override
    public Integer call() {
        if (max != null && max < 1) {
            throw new ParameterException(spec.commandLine(), "--max must be at least 1, got " + max);
        }
        if (timeoutSeconds != null && timeoutSeconds <= 0) {
            throw new ParameterException(spec.commandLine(), "--timeout must be positive, got " + timeoutSeconds);
        }
        ClientSettings settings = cluster.reachableSettings();
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> props = settings.standaloneConsumerProperties();
        props.put("client.id", "safelora-tail");
        long printed = 0;
        try (HttpSchemaRegistryClient registry = settings.registryClient();
             KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            AvroDeserializer<GenericRecord> values = AvroDeserializer.generic(registry);
            List<TopicPartition> partitions = partitions(consumer, settings.bootstrapServers());
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            partitions.forEach(consumer::position); // fix the start now, before anything new arrives
            long idleLimitNanos = timeoutSeconds == null ? Long.MAX_VALUE : (long) (timeoutSeconds * 1e9);
            long lastRecord = System.nanoTime();
            while (max == null || printed < max) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) {
                    if (System.nanoTime() - lastRecord > idleLimitNanos) {
                        break;
                    }
                    continue;
                }
                lastRecord = System.nanoTime();
                for (ConsumerRecord<String, byte[]> record : records) {
                    out.println(line(record, values));
                    printed++;
                    if (max != null && printed >= max) {
                        break;
                    }
                }
                out.flush();
            }
        }
        out.flush();
        return 0;
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> consumer, String bootstrap) {
        List<PartitionInfo> infos;
        try {
            infos = consumer.partitionsFor(topic, Duration.ofSeconds(15));
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot reach Kafka at " + bootstrap + " within 15 s (is dev-cluster running? "
                    + "set --bootstrap-servers or SAFELORA_BOOTSTRAP_SERVERS)", e);
        }
        if (infos == null || infos.isEmpty()) {
            throw new IllegalArgumentException("topic '" + topic + "' does not exist on " + bootstrap);
        }
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        return partitions;
    }

    private static String line(ConsumerRecord<String, byte[]> record, AvroDeserializer<GenericRecord> values) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("topic", record.topic());
        node.put("partition", record.partition());
        node.put("offset", record.offset());
        node.put("timestamp", java.time.Instant.ofEpochMilli(record.timestamp()).toString());
        node.put("key", record.key());
        try {
            GenericRecord value = values.deserialize(record.topic(), record.value());
            node.set("value", AvroJson.toTree(value));
        } catch (SerializationException e) {
            node.putNull("value");
            node.put("error", e.getMessage());
            if (record.value() != null) {
                node.put("valueBase64", java.util.Base64.getEncoder().encodeToString(record.value()));
            }
        }
        ObjectNode deadLetter = JsonNodeFactory.instance.objectNode();
        for (Header h : record.headers()) {
            if (h.key().startsWith(DeadLetters.PREFIX) && h.value() != null) {
                deadLetter.put(h.key().substring(DeadLetters.PREFIX.length()), new String(h.value(), StandardCharsets.UTF_8));
            }
        }
        if (!deadLetter.isEmpty()) {
            node.set("deadLetter", deadLetter);
        }
        return node.toString();
    }
}
