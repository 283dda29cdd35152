package dev.safelora.planner;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The planner's Prometheus series (next to the {@code safelora_stage_*} ones of other stages):
 * <ul>
 *   <li>{@code safelora_planner_records_total{topic}}: input records seen</li>
 *   <li>{@code safelora_planner_jobs_total{topic,reason}}: jobs planned, by output topic and lineage reason</li>
 *   <li>{@code safelora_planner_dead_letters_total{topic,cause}}: records sent to {@code <topic>.dlq}</li>
 *   <li>{@code safelora_planner_requests_parked_total}: requests that had to wait for their family's alignment</li>
 *   <li>{@code safelora_planner_alignments_failed_total}: AlignmentFailed events seen (nothing is released)</li>
 * </ul>
 */
public final class PlannerMetrics {

    private final PrometheusRegistry registry;
    private final Counter records;
    private final Counter jobs;
    private final Counter deadLetters;
    private final Counter parked;
    private final Counter alignmentsFailed;

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

    /** Total jobs planned so far (all topics and reasons), for tests and summaries. */
    public long jobsPlanned() {
        return (long) jobs.collect().getDataPoints().stream().mapToDouble(d -> d.getValue()).sum();
    }
}
