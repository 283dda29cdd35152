package dev.safelora.stage;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;

/**
 * The stage metrics, in one Prometheus registry shared by every stage loop of the process (each series
 * carries a {@code stage} label):
 * <ul>
 *   <li>{@code safelora_stage_records_consumed_total{stage,topic}}</li>
 *   <li>{@code safelora_stage_records_failed_total{stage,topic,kind}}: kind {@code bad_input}, {@code transient},
 *       {@code unexpected} - one count per failed attempt</li>
 *   <li>{@code safelora_stage_records_dead_lettered_total{stage,topic}}</li>
 *   <li>{@code safelora_stage_outputs_published_total{stage,topic}} (by output topic)</li>
 *   <li>{@code safelora_stage_job_duration_seconds{stage,topic,outcome}}: histogram of handler/job run time,
 *       outcome {@code ok}, {@code bad_input}, {@code transient}, {@code unexpected}, {@code cancelled}</li>
 *   <li>{@code safelora_stage_jobs_in_flight{stage}}</li>
 *   <li>{@code safelora_stage_consumer_lag{stage,topic,partition}}: records from the next one not yet done to the end</li>
 * </ul>
 */
public final class StageMetrics {

    private static final double[] DURATION_BUCKETS = {
        0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400};

    private final PrometheusRegistry registry;
    final Counter consumed;
    final Counter failed;
    final Counter deadLettered;
    final Counter published;
    final Histogram jobDuration;
    final Gauge inFlight;
    final Gauge lag;

    public StageMetrics() {
        this(new PrometheusRegistry());
    }

    public StageMetrics(PrometheusRegistry registry) {
        this.registry = registry;
        consumed = Counter.builder().name("safelora_stage_records_consumed_total")
                .help("Records consumed from input topics").labelNames("stage", "topic").register(registry);
        failed = Counter.builder().name("safelora_stage_records_failed_total")
                .help("Failed attempts to process a record, by kind").labelNames("stage", "topic", "kind").register(registry);
        deadLettered = Counter.builder().name("safelora_stage_records_dead_lettered_total")
                .help("Records sent to the dead-letter topic").labelNames("stage", "topic").register(registry);
        published = Counter.builder().name("safelora_stage_outputs_published_total")
                .help("Output records acknowledged by the broker, by output topic").labelNames("stage", "topic").register(registry);
        jobDuration = Histogram.builder().name("safelora_stage_job_duration_seconds")
                .help("Time spent in the handler or job per record").labelNames("stage", "topic", "outcome")
                .classicOnly().classicUpperBounds(DURATION_BUCKETS).register(registry);
        inFlight = Gauge.builder().name("safelora_stage_jobs_in_flight")
                .help("Records being processed right now").labelNames("stage").register(registry);
        lag = Gauge.builder().name("safelora_stage_consumer_lag")
                .help("Records not yet processed, per assigned partition").labelNames("stage", "topic", "partition").register(registry);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    void observeDuration(String stage, String topic, String outcome, Duration d) {
        jobDuration.labelValues(stage, topic, outcome).observe(d.toNanos() / 1e9);
    }
}
