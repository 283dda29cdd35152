package dev.safelora.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.model.CausalLm;
import dev.safelora.model.ComputeDevice;
import dev.safelora.model.TinyModels;
import dev.safelora.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextGeneratorTest {

    @TempDir
    static Path tmp;

    static CausalLm model;
    static TextTokenizer tokenizer;
    static final long[] PROMPT = {1, 40, 77, 300, 5};

    @BeforeAll
    static void load() {
        Path dir = tmp.resolve("gqa");
        TinyModels.write(dir, TinyModels.Shape.llama3Gqa(), 21);
        model = CausalLm.load(dir, ComputeDevice.cpu());
        tokenizer = TextTokenizer.load(dir);
    }

    /** Greedy decoding by recomputing the whole sequence each step, without a cache. */
    static long[] greedyByRecomputation(long[] prompt, int n) {
        long[] seq = prompt.clone();
        for (int i = 0; i < n; i++) {
            float[][] logits = model.logits(seq);
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = TokenSampler.argmax(logits[logits.length - 1]);
        }
        return Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    @Test
    void greedyWithKvCacheEqualsRecomputation() {
        Generation g = new TextGenerator(model, null).generate(PROMPT, GenerationConfig.greedy(12, Set.of()));
        assertThat(g.newIds()).containsExactly(greedyByRecomputation(PROMPT, 12));
        assertThat(g.finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    /**
     * Left-padded batches with a preallocated cache give each prompt the tokens it gets alone, greedy and sampled,
     * also when one row stops early and rides along masked (GQA model, prompts of different lengths).
     */
    @Test
    void aBatchOfPromptsOfDifferentLengthsGeneratesWhatEachPromptGeneratesAlone() {
        TextGenerator gen = new TextGenerator(model, null);
        List<long[]> prompts = List.of(PROMPT, new long[] {1, 9}, new long[] {1, 300, 12, 44, 45, 46, 47, 200, 3}, new long[] {1});
        long stop = gen.generate(prompts.get(1), GenerationConfig.greedy(12, Set.of())).newIds()[3];
        for (GenerationConfig config : List.of(GenerationConfig.greedy(12, Set.of()), GenerationConfig.greedy(12, Set.of(stop)),
                GenerationConfig.sampled(10, 1.3, 0.9, 17, Set.of()))) {
            List<Generation> batch = gen.generateBatch(prompts, config);
            assertThat(batch).hasSize(prompts.size());
            for (int i = 0; i < prompts.size(); i++) {
                Generation alone = gen.generate(prompts.get(i), config);
                assertThat(batch.get(i).newIds()).as("prompt %d with %s", i, config).containsExactly(alone.newIds());
                assertThat(batch.get(i).finishReason()).isEqualTo(alone.finishReason());
            }
        }
        assertThat(gen.generateBatch(prompts, GenerationConfig.greedy(12, Set.of(stop))).get(1).finishReason())
                .isEqualTo(FinishReason.STOP);
    }

    @Test
    void stopsAtEosWithoutEmittingIt() {
        long[] greedy = greedyByRecomputation(PROMPT, 4);
        Generation g = new TextGenerator(model, null).generate(PROMPT, GenerationConfig.greedy(10, Set.of(greedy[2])));
        int firstStop = 0;
        while (greedy[firstStop] != greedy[2]) {
            firstStop++;
        }
        assertThat(g.newIds()).containsExactly(Arrays.copyOf(greedy, firstStop));
        assertThat(g.finishReason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void samplingIsReproducibleFromItsSeedAndVariesAcrossSeeds() {
        TextGenerator gen = new TextGenerator(model, null);
        long[] a = gen.generate(PROMPT, GenerationConfig.sampled(10, 1.5, 1.0, 5, Set.of())).newIds();
        long[] b = gen.generate(PROMPT, GenerationConfig.sampled(10, 1.5, 1.0, 5, Set.of())).newIds();
        assertThat(a).containsExactly(b);
        boolean differs = false;
        for (long seed = 6; seed < 12 && !differs; seed++) {
            differs = !Arrays.equals(a, gen.generate(PROMPT, GenerationConfig.sampled(10, 1.5, 1.0, seed, Set.of())).newIds());
        }
        assertThat(differs).isTrue();
    }

    @Test
    void tinyTopPOrTinyTemperatureIsGreedy() {
        TextGenerator gen = new TextGenerator(model, null);
        long[] greedy = greedyByRecomputation(PROMPT, 8);
        assertThat(gen.generate(PROMPT, GenerationConfig.sampled(8, 1.0, 1e-9, 3, Set.of())).newIds()).containsExactly(greedy);
        assertThat(gen.generate(PROMPT, GenerationConfig.sampled(8, 1e-4, 1.0, 3, Set.of())).newIds()).containsExactly(greedy);
    }

    @Test
    void textPromptIsEncodedWithBosAndTheContinuationDecoded() {
        Generation g = new TextGenerator(model, tokenizer).generate("The capital of France", GenerationConfig.greedy(6, Set.of()));
        assertThat(g.promptIds()[0]).isEqualTo(1);
        assertThat(g.newIds()).hasSize(6);
        assertThat(g.text()).isEqualTo(tokenizer.decode(g.newIds()));
    }

    @Test
    void nucleusKeepsTheSmallestSetReachingP() {
        // probabilities 0.5, 0.3, 0.2 (logits are their logs)
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
        // top-p 0.7 keeps {0, 1} (0.5 < 0.7 <= 0.8): renormalised 0.625 / 0.375.
        assertThat(TokenSampler.sample(logits, 1.0, 0.7, 0.0)).isZero();
        assertThat(TokenSampler.sample(logits, 1.0, 0.7, 0.62)).isZero();
        assertThat(TokenSampler.sample(logits, 1.0, 0.7, 0.63)).isEqualTo(1);
        assertThat(TokenSampler.sample(logits, 1.0, 0.7, 0.999)).isEqualTo(1);
        // top-p 1 keeps all: cumulative 0.5, 0.8, 1.0
        assertThat(TokenSampler.sample(logits, 1.0, 1.0, 0.79)).isEqualTo(1);
        assertThat(TokenSampler.sample(logits, 1.0, 1.0, 0.81)).isEqualTo(2);
        // temperature 2 flattens: p ~ sqrt(p) normalised = 0.4249, 0.3291, 0.2687 (0.4249 < 0.5)
        assertThat(TokenSampler.sample(logits, 2.0, 1.0, 0.43)).isEqualTo(1);
    }

    @Test
    void stopTokensJoinConfigAndGenerationConfig() throws Exception {
        Path dir = tmp.resolve("gqa");
        assertThat(StopTokens.of(dir, model.config())).containsExactly(2L);
        java.nio.file.Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [2, 7, 9]}");
        assertThat(StopTokens.of(dir, model.config())).containsExactlyInAnyOrder(2L, 7L, 9L);
    }

    @Test
    void invalidSettingsAreRefused() {
        assertThatThrownBy(() -> GenerationConfig.sampled(5, 0, 0.9, 1, Set.of())).hasMessageContaining("temperature");
        assertThatThrownBy(() -> GenerationConfig.sampled(5, 1, 1.5, 1, Set.of())).hasMessageContaining("top-p");
        assertThatThrownBy(() -> GenerationConfig.greedy(-1, Set.of())).hasMessageContaining("max new tokens");
    }
}
