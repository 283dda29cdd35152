package dev.safelora.planner;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The planner keeps family-keyed and adapter-keyed state in the same tasks, so a family's alignment, its
 * policies, its re-keyed requests and adapters must all land in the partition with the same number. That
 * holds only when every input topic has the same partition count; Kafka Streams does not check it for
 * processors that share stores, so the planner does before it starts, and sizes its repartition topics to match.
 */
final class PlannerPartitions {

    private PlannerPartitions() {
    }

    /** The partition count shared by {@code topics}; a clear error when one is missing or the counts differ. */
    static int common(Admin admin, List<String> topics, Duration timeout) {
        Map<String, TopicDescription> described;
        try {
            described = admin.describeTopics(topics).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new IllegalStateException("planner input topics " + topics + " are not all there: " + e.getCause().getMessage()
                        + "; create them first (safelora topics create)", e.getCause());
            }
            throw new IllegalStateException("cannot describe the planner's input topics " + topics + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot describe the planner's input topics " + topics + " within " + timeout.toSeconds()
                    + " s: is the cluster reachable?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing the planner's input topics", e);
        }
        Map<String, Integer> counts = new TreeMap<>();
        described.forEach((name, d) -> counts.put(name, d.partitions().size()));
        if (counts.values().stream().distinct().count() > 1) {
            throw new IllegalStateException("the planner's input topics must have the same number of partitions (a family's records must meet in one task), got "
                    + counts + "; add partitions to the smaller ones (kafka-topics --alter --partitions) before starting the planner");
        }
        return counts.values().iterator().next();
    }
}
