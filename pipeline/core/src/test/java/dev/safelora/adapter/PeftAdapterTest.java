package dev.safelora.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.tensor.DType;
import dev.safelora.tensor.HalfFloats;
import dev.safelora.tensor.SafetensorsFile;
import dev.safelora.tensor.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeftAdapterTest {

    @TempDir
    Path dir;

    static LoraWeights module(String name, int r, int in, int out, float seed) {
        float[] a = new float[r * in];
        float[] b = new float[out * r];
        for (int i = 0; i < a.length; i++) {
            a[i] = seed + i;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = -seed - i / 4f;
        }
        return new LoraWeights(name, r, in, out, a, b);
    }

    static LoraConfig config() {
        return new LoraConfig(2, 16, false, List.of("q_proj", "v_proj"), 0.05, "meta-llama/Llama-2-7b-hf", false);
    }

    @Test
    void writesWhatPeftWritesAndReadsItBack() throws IOException {
        List<LoraWeights> ws = new ArrayList<>();
        for (int layer : new int[] {10, 2, 1}) {
            ws.add(module("model.layers." + layer + ".self_attn.q_proj", 2, 4, 4, layer));
            ws.add(module("model.layers." + layer + ".self_attn.v_proj", 2, 4, 2, layer + 0.5f));
        }
        PeftAdapter.of(config(), ws).write(dir);

        JsonNode json = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
        assertThat(json.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(json.get("task_type").asText()).isEqualTo("CAUSAL_LM");
        assertThat(json.get("r").asInt()).isEqualTo(2);
        assertThat(json.get("lora_alpha").isIntegralNumber()).isTrue();
        assertThat(json.get("lora_alpha").asInt()).isEqualTo(16);
        assertThat(json.get("lora_dropout").asDouble()).isEqualTo(0.05);
        assertThat(json.get("bias").asText()).isEqualTo("none");
        assertThat(json.get("use_dora").asBoolean()).isFalse();
        assertThat(json.get("use_rslora").asBoolean()).isFalse();
        assertThat(json.get("fan_in_fan_out").asBoolean()).isFalse();
        assertThat(json.get("inference_mode").asBoolean()).isTrue();
        assertThat(json.get("base_model_name_or_path").asText()).isEqualTo("meta-llama/Llama-2-7b-hf");
        assertThat(json.get("target_modules")).hasSize(2);
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).isSorted();

        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            assertThat(f.names()).startsWith("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight");
            assertThat(f.info("base_model.model.model.layers.10.self_attn.v_proj.lora_B.weight").shape()).containsExactly(2, 2);
            assertThat(f.info("base_model.model.model.layers.10.self_attn.v_proj.lora_A.weight").shape()).containsExactly(2, 4);
            assertThat(f.metadata()).containsEntry("format", "pt");
        }

        PeftAdapter back = PeftAdapter.read(dir);
        assertThat(back.config()).isEqualTo(config());
        assertThat(back.modules().keySet()).containsExactly(
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj",
                "model.layers.2.self_attn.q_proj", "model.layers.2.self_attn.v_proj",
                "model.layers.10.self_attn.q_proj", "model.layers.10.self_attn.v_proj");
        LoraWeights v10 = back.modules().get("model.layers.10.self_attn.v_proj");
        assertThat(v10.out()).isEqualTo(2);
        assertThat(v10.in()).isEqualTo(4);
        assertThat(v10.a()).containsExactly(module("x", 2, 4, 2, 10.5f).a());
        assertThat(v10.b()).containsExactly(module("x", 2, 4, 2, 10.5f).b());
    }

    @Test
    void keepsTheOriginalConfigFieldsStorageDtypeAndOtherTensors() throws IOException {
        Files.writeString(dir.resolve("adapter_config.json"), """
                {"peft_type":"LORA","task_type":"CAUSAL_LM","r":1,"lora_alpha":2.5,"use_rslora":true,
                 "target_modules":"q_proj","lora_dropout":0.0,"base_model_name_or_path":null,"custom_field":[1,2]}""");
        new SafetensorsWriter()
                .addFloats("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", new long[] {1, 2}, new float[] {1f, 0.1f}, DType.BF16)
                .addFloats("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", new long[] {2, 1}, new float[] {3f, 4f}, DType.BF16)
                .addFloats("base_model.model.lm_head.weight", new long[] {1}, new float[] {9f})
                .write(dir.resolve("adapter_model.safetensors"));
        PeftAdapter a = PeftAdapter.read(dir);
        assertThat(a.config().rsLora()).isTrue();
        assertThat(a.config().scale()).isEqualTo(2.5);
        assertThat(a.config().targetModules()).containsExactly("q_proj");
        assertThat(a.storage()).isEqualTo(DType.BF16);
        assertThat(a.modules().get("model.layers.0.self_attn.q_proj").a()[1]).isEqualTo(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(0.1f)));

        Path out = dir.resolve("out");
        a.write(out);
        JsonNode json = new ObjectMapper().readTree(out.resolve("adapter_config.json").toFile());
        assertThat(json.get("custom_field")).hasSize(2);
        assertThat(json.get("target_modules").textValue()).isEqualTo("q_proj");
        assertThat(json.get("lora_alpha").asDouble()).isEqualTo(2.5);
        assertThat(json.get("inference_mode").asBoolean()).isTrue();
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter_model.safetensors"))) {
            assertThat(f.info("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight").dtype()).isEqualTo(DType.BF16);
            assertThat(f.floats("base_model.model.lm_head.weight")).containsExactly(9f);
        }
    }

    @Test
    void rsLoraScaleUsesTheSquareRootOfTheRank() {
        assertThat(new LoraConfig(16, 32, true, List.of("q_proj"), 0, null, false).scale()).isEqualTo(8.0);
        assertThat(new LoraConfig(16, 32, false, List.of("q_proj"), 0, null, false).scale()).isEqualTo(2.0);
    }

    @Test
    void perModuleRankAndAlphaPatternsGiveEachModuleItsOwnRankAndScaleAndSurviveAWrite() throws IOException {
        // PEFT semantics: a key matches the end of a module name after a dot; the first matching key wins.
        Files.writeString(dir.resolve("adapter_config.json"), """
                {"peft_type":"LORA","r":2,"lora_alpha":8,"target_modules":["q_proj","v_proj"],
                 "rank_pattern":{"v_proj":4},
                 "alpha_pattern":{"layers\\\\.1\\\\.self_attn\\\\.q_proj":32,"q_proj":2}}""");
        SafetensorsWriter w = new SafetensorsWriter();
        for (int layer = 0; layer < 2; layer++) {
            for (String leaf : List.of("q_proj", "v_proj")) {
                int r = leaf.equals("v_proj") ? 4 : 2;
                String key = "base_model.model.model.layers." + layer + ".self_attn." + leaf;
                w.addFloats(key + ".lora_A.weight", new long[] {r, 3}, new float[r * 3]);
                w.addFloats(key + ".lora_B.weight", new long[] {5, r}, new float[5 * r]);
            }
        }
        w.write(dir.resolve("adapter_model.safetensors"));

        LoraConfig c = PeftAdapter.read(dir).config();
        assertThat(c.rank("model.layers.0.self_attn.v_proj")).isEqualTo(4);
        assertThat(c.rank("model.layers.0.self_attn.q_proj")).isEqualTo(2);
        assertThat(c.scale("model.layers.0.self_attn.v_proj")).isEqualTo(8.0 / 4);   // alpha 8, rank 4
        assertThat(c.scale("model.layers.0.self_attn.q_proj")).isEqualTo(2.0 / 2);   // alpha_pattern q_proj
        assertThat(c.scale("model.layers.1.self_attn.q_proj")).isEqualTo(32.0 / 2);  // the first, more specific key
        assertThat(c.rank("model.layers.0.self_attn.xv_proj")).as("a key matches after a dot only").isEqualTo(2);

        PeftAdapter.read(dir).write(dir.resolve("out"));
        LoraConfig again = PeftAdapter.read(dir.resolve("out")).config();
        assertThat(again.rankPattern()).isEqualTo(c.rankPattern());
        assertThat(again.alphaPattern()).containsExactlyEntriesOf(c.alphaPattern());

        Files.writeString(dir.resolve("adapter_config.json"),
                "{\"peft_type\":\"LORA\",\"r\":2,\"target_modules\":[\"q_proj\",\"v_proj\"]}");
        assertThatThrownBy(() -> PeftAdapter.read(dir)).hasMessageContainingAll("model.layers.0.self_attn.v_proj", "rank 4", "gives it 2");
        Files.writeString(dir.resolve("adapter_config.json"),
                "{\"peft_type\":\"LORA\",\"r\":2,\"target_modules\":[\"q_proj\"],\"rank_pattern\":{\"v_proj\":\"four\"}}");
        assertThatThrownBy(() -> PeftAdapter.read(dir)).hasMessageContainingAll("rank_pattern[v_proj]", "must be a number");
    }

    @Test
    void refusesDoraPickleAndBrokenAdapters() throws IOException {
        assertThatThrownBy(() -> PeftAdapter.read(dir)).hasMessageContaining("no adapter_config.json");
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\":\"LORA\",\"r\":8,\"target_modules\":[\"q_proj\"],\"use_dora\":true}");
        assertThatThrownBy(() -> PeftAdapter.read(dir)).hasMessageContainingAll("DoRA", "use_dora");
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\":\"LORA\",\"r\":8,\"target_modules\":[\"q_proj\"]}");
        Files.write(dir.resolve("adapter_model.bin"), new byte[] {1});
        assertThatThrownBy(() -> PeftAdapter.read(dir)).hasMessageContainingAll("adapter_model.bin", "pickle");
        new SafetensorsWriter().addFloats("base_model.model.x.lora_A.weight", new long[] {8, 2}, new float[16])
                .write(dir.resolve("adapter_model.safetensors"));
        assertThatThrownBy(() -> PeftAdapter.read(dir)).hasMessageContainingAll("x (no lora_B)");
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\":\"IA3\",\"target_modules\":[\"q_proj\"]}");
        assertThatThrownBy(() -> PeftAdapter.read(dir)).hasMessageContaining("only LORA");
    }

    @Test
    void naturalOrderComparesLayerNumbersNumerically() {
        List<String> names = new ArrayList<>();
        for (int i = 11; i >= 0; i--) {
            names.add("model.layers." + i + ".self_attn.v_proj");
            names.add("model.layers." + i + ".self_attn.q_proj");
        }
        names.sort(ModuleNames.NATURAL_ORDER);
        assertThat(names.subList(0, 6)).containsExactly("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj", "model.layers.2.self_attn.q_proj",
                "model.layers.2.self_attn.v_proj");
        assertThat(names.get(23)).isEqualTo("model.layers.11.self_attn.v_proj");
        assertThat(ModuleNames.layerIndex("model.layers.10.mlp.up_proj")).hasValue(10);
        assertThat(ModuleNames.layerIndex("lm_head")).isEmpty();
        assertThat(ModuleNames.leaf("model.layers.10.mlp.up_proj")).isEqualTo("up_proj");
    }
}
