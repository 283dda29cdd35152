package dev.safelora.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ExampleEncoderTest {

    static final TextTokenizer TOKENIZER = TextTokenizerTest.tokenizer;

    @Test
    void promptIsMaskedAndResponseEndsWithEos() {
        ExampleEncoder encoder = new ExampleEncoder(TOKENIZER, PromptTemplate.LLAMA2_CHAT, null, TinyTokenizerBuilder.EOS);
        ExampleEncoder.Example e = encoder.encode("What is the capital of France?", "Paris.", 512);
        long[] prompt = TOKENIZER.encode("[INST] What is the capital of France? [/INST]", true);
        assertThat(Arrays.copyOf(e.inputIds(), prompt.length)).containsExactly(prompt);
        assertThat(e.promptLength()).isEqualTo(prompt.length);
        assertThat(Arrays.copyOf(e.labels(), prompt.length)).containsOnly(-100L);
        long[] response = Arrays.copyOfRange(e.inputIds(), prompt.length, e.inputIds().length - 1);
        assertThat(TOKENIZER.decode(response)).isEqualTo(" Paris. ");
        assertThat(e.inputIds()[e.inputIds().length - 1]).isEqualTo(TinyTokenizerBuilder.EOS);
        assertThat(Arrays.copyOfRange(e.labels(), prompt.length, e.labels().length))
                .containsExactly(Arrays.copyOfRange(e.inputIds(), prompt.length, e.inputIds().length));
    }

    @Test
    void longResponsesAreCutToFitButPromptsAreNot() {
        ExampleEncoder encoder = new ExampleEncoder(TOKENIZER, PromptTemplate.PLAIN, null, TinyTokenizerBuilder.EOS);
        ExampleEncoder.Example e = encoder.encode("Tell a story.", "Once upon a time there was a small robot. ".repeat(20), 40);
        assertThat(e.inputIds()).hasSize(40);
        assertThat(e.inputIds()[39]).isEqualTo(TinyTokenizerBuilder.EOS);
        assertThatThrownBy(() -> encoder.encode("a long prompt ".repeat(30), "x", 16)).hasMessageContaining("the prompt alone takes");
    }
}
