package dev.safelora.it.pipeline;

import dev.safelora.kafka.ClientSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumer-group lag as third-party tools compute it ({@code kafka-consumer-groups --describe}, KEDA's Kafka
 * scaler, Burrow): the log end offset of each partition minus the group's committed offset, both read through
 * the Admin client; and the lag a stage reports on its own {@code /metrics}, for comparison.
 */
final class GroupLag implements AutoCloseable {

    private static final Pattern STAGE_LAG = Pattern.compile(
            "^safelora_stage_consumer_lag\\{([^}]*)} (\\S+)$", Pattern.MULTILINE);
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final Admin admin;

    GroupLag(ClientSettings cluster) {
        this.admin = Admin.create(cluster.adminProperties());
    }

    /**
     * {@code topic-partition -> log end - committed} for every partition of every topic the group has committed
     * offsets in; a partition without a committed offset counts from 0 (as a group reading from the earliest does).
     */
    Map<String, Long> adminLag(String group) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            Set<String> topics = committed.keySet().stream().map(TopicPartition::topic).collect(Collectors.toSet());
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(topics).allTopicNames().get().forEach((topic, description) -> description.partitions()
                    .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest())));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
            Map<String, Long> lag = new TreeMap<>();
            ends.forEach((tp, end) -> {
                OffsetAndMetadata at = committed.get(tp);
                lag.put(tp.toString(), end.offset() - (at == null ? 0 : at.offset()));
            });
            return lag;
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading the offsets of group " + group + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code topic-partition -> lag} as the stage's {@code safelora_stage_consumer_lag} gauge says. */
    static Map<String, Long> metricsLag(int metricsPort) {
        String body;
        try {
            body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + metricsPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Map<String, Long> lag = new TreeMap<>();
        Matcher m = STAGE_LAG.matcher(body);
        while (m.find()) {
            Map<String, String> labels = new TreeMap<>();
            Matcher l = LABEL.matcher(m.group(1));
            while (l.find()) {
                labels.put(l.group(1), l.group(2));
            }
            lag.put(labels.get("topic") + "-" + labels.get("partition"), (long) Double.parseDouble(m.group(2)));
        }
        return lag;
    }

    @Override
    public void close() {
        admin.close();
    }
}
