package dev.safelora.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ModelConfigTest {

    static ModelConfig parse(String json) throws Exception {
        return ModelConfig.fromJson(new ObjectMapper().readTree(json.replace('\'', '"')));
    }

    static final String BASE = "'vocab_size': 100, 'hidden_size': 64, 'intermediate_size': 96, 'num_hidden_layers': 2,"
            + " 'num_attention_heads': 4";

    @Test
    void legacyRopeScalingAndTransformers5RopeParametersMeanTheSame() throws Exception {
        ModelConfig legacy = parse("{'architectures': ['LlamaForCausalLM'], " + BASE + ", 'rope_theta': 500000.0,"
                + " 'rope_scaling': {'type': 'llama3', 'factor': 8, 'low_freq_factor': 1, 'high_freq_factor': 4,"
                + " 'original_max_position_embeddings': 8192}}");
        ModelConfig v5 = parse("{'architectures': ['LlamaForCausalLM'], " + BASE + ", 'rope_parameters': {'rope_type': 'llama3',"
                + " 'rope_theta': 500000.0, 'factor': 8, 'low_freq_factor': 1, 'high_freq_factor': 4,"
                + " 'original_max_position_embeddings': 8192}}");
        assertThat(v5).isEqualTo(legacy);
        assertThat(v5.ropeTheta()).isEqualTo(500000.0);
        assertThat(v5.ropeScaling()).isEqualTo(RopeScaling.llama3(8, 1, 4, 8192));
    }

    @Test
    void hfDefaultsApplyToOptionalKeys() throws Exception {
        ModelConfig c = parse("{'architectures': ['MistralForCausalLM'], " + BASE + ", 'attention_bias': true,"
                + " 'eos_token_id': [2, 7]}");
        assertThat(c.numKvHeads()).isEqualTo(4);
        assertThat(c.headDim()).isEqualTo(16);
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
        assertThat(c.tieWordEmbeddings()).isFalse();
        // Mistral's attention has no biases whatever the key says.
        assertThat(c.attentionBias()).isFalse();
        assertThat(c.eosTokenIds()).containsExactly(2, 7);
    }

    @Test
    void qwen2AlwaysHasQkvBiasesButNoOutputBias() throws Exception {
        ModelConfig c = parse("{'architectures': ['Qwen2ForCausalLM'], " + BASE + ", 'num_key_value_heads': 2}");
        assertThat(c.attentionBias()).isTrue();
        assertThat(c.outputBias()).isFalse();
        assertThat(c.groups()).isEqualTo(2);
    }

    @Test
    void inconsistentHeadsAndOtherActivationsAreRefused() {
        assertThatThrownBy(() -> parse("{'architectures': ['LlamaForCausalLM'], " + BASE + ", 'num_key_value_heads': 3}"))
                .hasMessageContaining("num_key_value_heads (3)");
        assertThatThrownBy(() -> parse("{'architectures': ['LlamaForCausalLM'], " + BASE + ", 'hidden_act': 'gelu'}"))
                .hasMessageContaining("hidden_act 'gelu'");
        assertThatThrownBy(() -> parse("{'architectures': ['LlamaForCausalLM'], " + BASE.replace("'hidden_size': 64", "'hidden_size': 'big'") + "}"))
                .hasMessageContaining("'hidden_size' must be an integer");
        assertThatThrownBy(() -> parse("{'architectures': ['Qwen2ForCausalLM'], " + BASE + ", 'use_sliding_window': true,"
                + " 'sliding_window': 64}")).hasMessageContaining("use_sliding_window");
    }

    @Test
    void toJsonReadsBackToTheSameConfig() throws Exception {
        for (TinyModels.Shape shape : new TinyModels.Shape[] {TinyModels.Shape.llama(), TinyModels.Shape.llama3Gqa(),
                TinyModels.Shape.qwen2(), TinyModels.Shape.mistral()}) {
            ModelConfig c = shape.config(300);
            assertThat(ModelConfig.fromJson(c.toJson())).isEqualTo(c);
        }
    }
}
