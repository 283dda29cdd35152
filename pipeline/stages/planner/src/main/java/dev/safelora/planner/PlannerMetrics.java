package dev.safelora.planner;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * The planner's Prometheus series (next to the {@code safelora_stage_*} ones of other stages):
 * <ul>
 *   <li>{@code safelora_planner_records_total{topic}}: input records seen</li>
 *   <li>{@code safelora_planner_jobs_total{topic,reason}}: jobs planned, by output topic and lineage reason</li>
 *   <li>{@code safelora_planner_dead_letters_total{topic,cause}}: records sent to {@code <topic>.dlq}</li>
 *   <li>{@code safelora_planner_requests_parked_total}: requests that had to wait for their family's alignment</li>
 *   <li>{@code safelora_planner_alignments_failed_total}: AlignmentFailed events seen (nothing is released)</li>
 *   <li>{@code safelora_planner_processing_seconds{topic,outcome}}: time to process one record (outcome
 *       {@code ok} or {@code dead_letter})</li>
 *   <li>{@code safelora_planner_consumer_lag{topic,partition}}: records not yet processed, from the Streams consumer</li>
 * </ul>
 */
public final class PlannerMetrics {

    private final PrometheusRegistry registry;
    private final Counter records;
    private final Counter jobs;
    private final Counter deadLetters;
    private final Counter parked;
    private final Counter alignmentsFailed;
    private final Histogram processing;

    public PlannerMetrics() {
        this(new PrometheusRegistry());
    }

    public PlannerMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        records = Counter.builder().name("safelora_planner_records_total").help("Input records seen by the planner")
                .labelNames("topic").register(registry);
        jobs = Counter.builder().name("safelora_planner_jobs_total").help("Jobs planned, by output topic and lineage reason")
                .labelNames("topic", "reason").register(registry);
        deadLetters = Counter.builder().name("safelora_planner_dead_letters_total").help("Records sent to a dead-letter topic")
                .labelNames("topic", "cause").register(registry);
        parked = Counter.builder().name("safelora_planner_requests_parked_total")
                .help("Training requests that waited for their family's alignment").register(registry);
        alignmentsFailed = Counter.builder().name("safelora_planner_alignments_failed_total")
                .help("AlignmentFailed events seen").register(registry);
        processing = Histogram.builder().name("safelora_planner_processing_seconds").help("Time to process one record")
                .labelNames("topic", "outcome").classicOnly()
                .classicUpperBounds(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5).register(registry);
    }

    /**
     * Publishes the consumer lag that Kafka reports ({@code records-lag} of the main consumers) as
     * {@code safelora_planner_consumer_lag}, read at every scrape. Call once per metrics instance.
     */
    public void watchLag(Supplier<Map<MetricName, ? extends Metric>> kafkaMetrics) {
        GaugeWithCallback.builder().name("safelora_planner_consumer_lag")
                .help("Records not yet processed per input partition").labelNames("topic", "partition")
                .callback(callback -> {
                    Map<List<String>, Double> lag = new HashMap<>();
                    kafkaMetrics.get().forEach((name, metric) -> {
                        String client = name.tags().getOrDefault("client-id", "");
                        if (name.name().equals("records-lag") && name.group().equals("consumer-fetch-manager-metrics")
                                && !client.contains("restore-consumer") && metric.metricValue() instanceof Number n
                                && !Double.isNaN(n.doubleValue())) {
                            lag.merge(List.of(name.tags().getOrDefault("topic", ""), name.tags().getOrDefault("partition", "")),
                                    n.doubleValue(), Math::max);
                        }
                    });
                    withoutLegacyTwins(lag).forEach((labels, value) -> callback.call(value, labels.get(0), labels.get(1)));
                })
                .register(registry);
    }

    /**
     * Kafka 4.1 (KIP-1109) reports every partition's lag twice: under the topic's name and under the
     * deprecated form with '.' replaced by '_'. Keeps the real name only; a topic whose name merely
     * contains '_' has no dotted twin and stays.
     */
    static Map<List<String>, Double> withoutLegacyTwins(Map<List<String>, Double> lag) {
        Set<List<String>> legacy = new HashSet<>();
        lag.keySet().forEach(labels -> {
            String underscored = labels.get(0).replace('.', '_');
            if (!underscored.equals(labels.get(0))) {
                legacy.add(List.of(underscored, labels.get(1)));
            }
        });
        Map<List<String>, Double> kept = new HashMap<>(lag);
        kept.keySet().removeAll(legacy);
        return kept;
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    void record(String topic) {
        records.labelValues(topic).inc();
    }

    void job(String topic, String reason) {
        jobs.labelValues(topic, reason).inc();
    }

    void deadLetter(String topic, String cause) {
        deadLetters.labelValues(topic, cause).inc();
    }

    void processed(String topic, boolean deadLettered, long nanos) {
        processing.labelValues(topic, deadLettered ? "dead_letter" : "ok").observe(nanos / 1e9);
    }

    void parked() {
        parked.inc();
    }

    void alignmentFailed() {
        alignmentsFailed.inc();
    }

    /** Requests parked so far. */
    public double parkedRequests() {
        return parked.collect().getDataPoints().stream().mapToDouble(d -> d.getValue()).sum();
    }

    /**
     * Processing steps done so far for records of {@code topic}, whatever their outcome. A training request or
     * an adapter counts twice once fully planned: routed at its source, then planned by its family's task after
     * the repartition topic.
     */
    public long processed(String topic) {
        return processing.collect().getDataPoints().stream().filter(d -> topic.equals(d.getLabels().get("topic")))
                .mapToLong(d -> d.getCount()).sum();
    }

    /** Total jobs planned so far (all topics and reasons), for tests and summaries. */
    public long jobsPlanned() {
        return (long) jobs.collect().getDataPoints().stream().mapToDouble(d -> d.getValue()).sum();
    }
}
