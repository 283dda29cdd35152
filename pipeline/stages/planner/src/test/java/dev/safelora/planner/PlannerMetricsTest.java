package dev.safelora.planner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

class PlannerMetricsTest {

    @Test
    void consumerLagHasOneSeriesPerPartitionUnderTheTopicsRealName() {
        Map<MetricName, Metric> kafka = new HashMap<>();
        // Kafka 4.1 reports each partition under the topic's name and again with '.' turned into '_'
        lag(kafka, "safelora.adapters.v1", "0", 3);
        lag(kafka, "safelora_adapters_v1", "0", 3);
        // a topic whose own name has underscores, and no dotted twin, is kept
        lag(kafka, "audit_events", "1", 5);
        PlannerMetrics metrics = new PlannerMetrics();
        metrics.watchLag(() -> kafka);

        Map<String, Double> series = new HashMap<>();
        for (MetricSnapshot snapshot : metrics.registry().scrape()) {
            if (snapshot.getMetadata().getPrometheusName().equals("safelora_planner_consumer_lag")) {
                for (GaugeSnapshot.GaugeDataPointSnapshot point : ((GaugeSnapshot) snapshot).getDataPoints()) {
                    series.put(point.getLabels().get("topic") + "/" + point.getLabels().get("partition"), point.getValue());
                }
            }
        }
        assertThat(series).isEqualTo(Map.of("safelora.adapters.v1/0", 3.0, "audit_events/1", 5.0));
    }

    private static void lag(Map<MetricName, Metric> metrics, String topic, String partition, double value) {
        MetricName name = new MetricName("records-lag", "consumer-fetch-manager-metrics", "",
                Map.of("client-id", "planner-StreamThread-1-consumer", "topic", topic, "partition", partition));
        metrics.put(name, new Metric() {
            @Override
            public MetricName metricName() {
                return name;
            }

            @Override
            public Object metricValue() {
                return value;
            }
        });
    }
}
