package dev.safelora.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.schema.AlignmentEvent;
import dev.safelora.schema.LayerSelection;
import dev.safelora.schema.TrainingRequest;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TopicTest {

    @Test
    void namesMatchTheDesignTable() {
        assertThat(Arrays.stream(Topic.values()).map(Topic::topicName))
                .containsExactly(
                        "safelora.model-registrations.v1",
                        "safelora.alignments.v1",
                        "safelora.layer-selections.v1",
                        "safelora.training-requests.v1",
                        "safelora.training-jobs.v1",
                        "safelora.projection-jobs.v1",
                        "safelora.training-progress.v1",
                        "safelora.adapters.v1",
                        "safelora.evaluations.v1",
                        "safelora.audit-anchors.v1");
    }

    @Test
    void onlyKeyedStateIsCompacted() {
        assertThat(Arrays.stream(Topic.values()).filter(Topic::compacted))
                .containsExactly(Topic.ALIGNMENTS, Topic.LAYER_SELECTIONS, Topic.AUDIT_ANCHORS);
    }

    @Test
    void dlqNamesAppendSuffixAndCarryDeadLetters() {
        assertThat(Topic.TRAINING_REQUESTS.dlqName()).isEqualTo("safelora.training-requests.v1.dlq");
        assertThat(Topic.byDlqName("safelora.alignments.v1.dlq")).contains(Topic.ALIGNMENTS);
        assertThat(Topic.valueSchemaOf("safelora.alignments.v1.dlq")).as("the original value bytes").contains(dev.safelora.schema.AlignmentEvent.getClassSchema());
        assertThat(Topic.allTopicNames()).hasSize(20).doesNotHaveDuplicates();
    }

    @Test
    void valueSchemasAreTheGeneratedClasses() {
        assertThat(Topic.byName("safelora.training-requests.v1")).contains(Topic.TRAINING_REQUESTS);
        assertThat(Topic.TRAINING_REQUESTS.valueClass()).isEqualTo(TrainingRequest.class);
        assertThat(Topic.ALIGNMENTS.valueSchema()).isEqualTo(AlignmentEvent.getClassSchema());
        assertThat(Topic.valueSchemaOf("safelora.layer-selections.v1")).contains(LayerSelection.getClassSchema());
        assertThat(Topic.valueSchemaOf("no.such.topic")).isEmpty();
        for (Topic t : Topic.values()) {
            assertThat(t.valueSchema().getNamespace()).isEqualTo("dev.safelora.schema");
            assertThat(t.valueSchema().getDoc()).contains(t.topicName());
        }
    }
}
