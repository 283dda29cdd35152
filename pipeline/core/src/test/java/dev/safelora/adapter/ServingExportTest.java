package dev.safelora.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.adapter.ServingConformance.Loader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServingExportTest {

    @TempDir
    Path dir;

    /** Two layers of q_proj (8x8) and v_proj (4x8); v_proj at rank 4, layer 1's q_proj with its own alpha. */
    private PeftAdapter patterned(boolean rsLora) {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        ranks.put("v_proj", 4);
        Map<String, Double> alphas = new LinkedHashMap<>();
        alphas.put("layers\\.1\\..*q_proj", 2.0);
        LoraConfig config = new LoraConfig(2, 8, rsLora, List.of("q_proj", "v_proj"), 0, "/home/me/base", false, ranks, alphas);
        SplittableRandom random = new SplittableRandom(7);
        List<LoraWeights> ws = new ArrayList<>();
        for (int layer = 0; layer < 2; layer++) {
            ws.add(random("model.layers." + layer + ".self_attn.q_proj", 2, 8, 8, random));
            ws.add(random("model.layers." + layer + ".self_attn.v_proj", 4, 8, 4, random));
        }
        return PeftAdapter.of(config, ws);
    }

    private static LoraWeights random(String module, int r, int in, int out, SplittableRandom random) {
        float[] a = new float[r * in];
        float[] b = new float[out * r];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextDouble(-1, 1);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) random.nextDouble(-1, 1);
        }
        return new LoraWeights(module, r, in, out, a, b);
    }

    /** PEFT's update of one module, in double: scale(module) * B A. */
    private static double[] deltaW(LoraConfig config, LoraWeights w) {
        double s = config.scale(w.module());
        double[] d = new double[w.out() * w.in()];
        for (int i = 0; i < w.out(); i++) {
            for (int j = 0; j < w.in(); j++) {
                double sum = 0;
                for (int k = 0; k < w.r(); k++) {
                    sum += (double) w.b()[i * w.r() + k] * w.a()[k * w.in() + j];
                }
                d[i * w.in() + j] = s * sum;
            }
        }
        return d;
    }

    private void assertSameUpdates(PeftAdapter expected, PeftAdapter actual) {
        assertThat(actual.modules().keySet()).containsExactlyElementsOf(expected.modules().keySet());
        for (String module : expected.modules().keySet()) {
            double[] want = deltaW(expected.config(), expected.modules().get(module));
            double[] got = deltaW(actual.config(), actual.modules().get(module));
            for (int i = 0; i < want.length; i++) {
                assertThat(got[i]).as(module + "[" + i + "]").isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(want[i]))));
            }
        }
    }

    @Test
    void theVllmFormHasOneRankEmptyPatternsAndPeftsUpdates() throws IOException {
        for (boolean rsLora : new boolean[] {false, true}) {
            Path original = dir.resolve("original-" + rsLora);
            Path served = dir.resolve("vllm-" + rsLora);
            patterned(rsLora).write(original);
            PeftAdapter read = PeftAdapter.read(original);
            ServingExport.Result result = ServingExport.forVllm(read, 16, "meta-llama/Llama-3.1-8B");
            result.adapter().write(served);

            PeftAdapter back = PeftAdapter.read(served);
            assertSameUpdates(read, back);
            assertThat(result.rank()).isEqualTo(4);
            assertThat(result.vllmMaxLoraRank()).isEqualTo(8);
            assertThat(back.modules().values()).allMatch(w -> w.r() == 4);
            JsonNode json = new ObjectMapper().readTree(served.resolve(PeftAdapter.CONFIG_FILE).toFile());
            assertThat(json.path("r").asInt()).isEqualTo(4);
            assertThat(json.path("lora_alpha").asInt()).isEqualTo(4);
            assertThat(json.path("use_rslora").asBoolean()).isFalse();
            assertThat(json.path("rank_pattern").isEmpty()).isTrue();
            assertThat(json.path("alpha_pattern").isEmpty()).isTrue();
            assertThat(json.path("base_model_name_or_path").asText()).isEqualTo("meta-llama/Llama-3.1-8B");

            assertThat(ServingConformance.check(served, Loader.VLLM, null, 16)).isEmpty();
            assertThat(ServingConformance.check(served, Loader.PEFT, null, 16)).isEmpty();
            assertThat(ServingConformance.check(original, Loader.PEFT, null, 16)).isEmpty();
            assertThat(ServingConformance.check(original, Loader.VLLM, null, 16))
                    .anySatisfy(p -> assertThat(p).startsWith("rank_pattern is not empty"))
                    .anySatisfy(p -> assertThat(p).startsWith("alpha_pattern is not empty"))
                    .anySatisfy(p -> assertThat(p).contains("differs from r 2"));
        }
    }

    @Test
    void foldingMatchesAHandComputedUpdate() {
        // one 1x1 module at rank 1 with alpha 4 beside a rank-2 module: dW = 4/1 * 3 * 2 = 24
        LoraConfig config = new LoraConfig(1, 4, false, List.of("q_proj", "v_proj"), 0, null, false, Map.of("v_proj", 2), Map.of("v_proj", 2.0));
        LoraWeights q = new LoraWeights("model.layers.0.self_attn.q_proj", 1, 1, 1, new float[] {2}, new float[] {3});
        LoraWeights v = new LoraWeights("model.layers.0.self_attn.v_proj", 2, 1, 1, new float[] {1, 1}, new float[] {1, 1});
        PeftAdapter out = ServingExport.forVllm(PeftAdapter.of(config, List.of(q, v)), 16, null).adapter();
        LoraWeights folded = out.modules().get("model.layers.0.self_attn.q_proj");
        assertThat(out.config().scale()).isEqualTo(1.0);
        assertThat(folded.a()).containsExactly(2f, 0f);
        assertThat(folded.b()).containsExactly(12f, 0f);
        assertThat(out.modules().get("model.layers.0.self_attn.v_proj").b()).containsExactly(1f, 1f); // alpha 2 / r 2
    }

    @Test
    void aRankAboveTheServersMaximumIsRefusedWithTheFlagItNeeds() {
        LoraConfig config = new LoraConfig(20, 20, false, List.of("q_proj"), 0, null, false);
        PeftAdapter wide = PeftAdapter.of(config, List.of(random("model.layers.0.self_attn.q_proj", 20, 4, 4, new SplittableRandom(1))));
        assertThatThrownBy(() -> ServingExport.forVllm(wide, 16, null))
                .hasMessage("the adapter's rank 20 exceeds --max-lora-rank 16; serve it with vllm --max-lora-rank 32 and export with --max-lora-rank 32");
        assertThat(ServingExport.forVllm(wide, 32, null).vllmMaxLoraRank()).isEqualTo(32);
        assertThatThrownBy(() -> ServingExport.forVllm(wide, 24, null)).hasMessageContaining("must be one of vLLM's values");
    }

    @Test
    void thePeftFormKeepsTheAdapterAndSetsTheBaseModel() {
        PeftAdapter adapter = patterned(false);
        PeftAdapter peft = ServingExport.forPeft(adapter, "Qwen/Qwen2-0.5B");
        assertThat(peft.config().baseModelPath()).isEqualTo("Qwen/Qwen2-0.5B");
        assertThat(peft.config().rankPattern()).isEqualTo(adapter.config().rankPattern());
        assertSameUpdates(adapter, peft);
    }

    @Test
    void conformanceNamesWhatALoaderWouldTripOver() throws IOException {
        LoraConfig config = new LoraConfig(2, 4, false, List.of("q_proj", "lm_head"), 0, null, false);
        SplittableRandom random = new SplittableRandom(3);
        PeftAdapter.of(config, List.of(random("model.layers.0.self_attn.q_proj", 2, 8, 8, random))).write(dir.resolve("a"));
        assertThat(ServingConformance.check(dir.resolve("a"), Loader.PEFT, null, 16))
                .containsExactly("target_modules lists lm_head but no tensor adapts it");

        Path base = dir.resolve("config.json");
        Files.writeString(base, "{\"hidden_size\": 16, \"num_attention_heads\": 2, \"intermediate_size\": 32}");
        assertThat(ServingConformance.check(dir.resolve("a"), Loader.PEFT, base, 16))
                .contains("model.layers.0.self_attn.q_proj: adapts a 8 x 8 layer but the base model's is 16 x 16");

        PeftAdapter.of(new LoraConfig(2, 4, false, List.of("lm_head"), 0, null, false),
                List.of(random("lm_head", 2, 8, 8, random))).write(dir.resolve("b"));
        assertThat(ServingConformance.check(dir.resolve("b"), Loader.VLLM, null, 16))
                .containsExactly("lm_head: LoRA on lm_head is not a linear-layer adapter");
    }
}
