package dev.safelora.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingConfigTest {

    @Test
    void defaultsFollowTheReferenceRecipe() {
        TrainingConfig c = TrainingConfig.defaults();
        assertThat(c.rank()).isEqualTo(8);
        assertThat(c.alpha()).isEqualTo(16);
        assertThat(c.targetModules()).containsExactly("q_proj", "v_proj");
        assertThat(c.learningRate()).isEqualTo(2e-4);
        assertThat(c.epochs()).isEqualTo(3);
        assertThat(c.weightDecay()).isZero();
    }

    @Test
    void invalidValuesNameTheField() {
        TrainingConfig c = TrainingConfig.defaults();
        assertThatThrownBy(() -> c.withEpochs(0)).hasMessageContaining("epochs");
        assertThatThrownBy(() -> c.withLearningRate(-1)).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> c.withLearningRate(Double.POSITIVE_INFINITY)).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> c.withRank(0)).hasMessageContaining("rank");
        assertThatThrownBy(() -> c.withTargetModules(List.of())).hasMessageContaining("target module");
        assertThatThrownBy(() -> c.withDropout(1.0)).hasMessageContaining("dropout");
        assertThatThrownBy(() -> c.withBatchSize(0)).hasMessageContaining("batch size");
        assertThatThrownBy(() -> c.withGradAccumulation(0)).hasMessageContaining("accumulation");
        assertThatThrownBy(() -> c.withMaxSeqLen(1)).hasMessageContaining("sequence length");
        assertThatThrownBy(() -> c.withWeightDecay(-0.1)).hasMessageContaining("weight decay");
    }

    @Test
    void headAndEmbeddingTargetsAreRefusedInOneLine() {
        TrainingConfig c = TrainingConfig.defaults();
        assertThatThrownBy(() -> c.withTargetModules(List.of("q_proj", "lm_head")))
                .hasMessageStartingWith("target module lm_head is not supported").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> c.withTargetModules(List.of("model.embed_tokens")))
                .hasMessageContaining("target module model.embed_tokens is not supported");
        assertThat(c.withTargetModules(List.of("q_proj", "down_proj")).targetModules()).containsExactly("q_proj", "down_proj");
    }
}
