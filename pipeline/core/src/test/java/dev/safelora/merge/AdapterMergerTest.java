package dev.safelora.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.tensor.Checkpoint;
import dev.safelora.tensor.DType;
import dev.safelora.testsupport.TinyCheckpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterMergerTest {

    @TempDir
    static Path tmp;
    static Path model;
    static Path adapterDir;
    static PeftAdapter adapter;

    @BeforeAll
    static void writeModelAndAdapter() throws Exception {
        model = tmp.resolve("model");
        TinyCheckpoints.writePair(model, tmp.resolve("unused-aligned"), 2, 3, DType.F32);
        Files.writeString(model.resolve("config.json"), "{\"model_type\": \"llama\", \"torch_dtype\": \"float32\"}");
        Files.writeString(model.resolve("tokenizer.json"), "{}");
        Files.writeString(model.resolve("pytorch_model.bin"), "pickle that must not be copied");
        // Layer 1's q_proj gets rank 4 and alpha 3 through the patterns; everything else r 2, alpha 8; rsLoRA.
        Random rnd = new Random(5);
        List<LoraWeights> weights = new ArrayList<>();
        for (int layer = 0; layer < 2; layer++) {
            for (String leaf : List.of("self_attn.q_proj", "mlp.down_proj")) {
                int[] s = TinyCheckpoints.SHAPES.get(leaf);
                int r = layer == 1 && leaf.endsWith("q_proj") ? 4 : 2;
                weights.add(new LoraWeights(TinyCheckpoints.module(layer, leaf), r, s[1], s[0],
                        TinyCheckpoints.gaussian(rnd, r * s[1], 0.2), TinyCheckpoints.gaussian(rnd, s[0] * r, 0.2)));
            }
        }
        adapter = PeftAdapter.of(new LoraConfig(2, 8, true, List.of("q_proj", "down_proj"), 0, null, false,
                Map.of("layers\\.1\\.self_attn\\.q_proj", 4), Map.of("layers\\.1\\.self_attn\\.q_proj", 3.0)), weights);
        adapterDir = tmp.resolve("adapter");
        adapter.write(adapterDir);
    }

    /** W + s B A by the definition, one entry at a time. */
    private static float[] expected(float[] w, LoraWeights lora, double scale) {
        float[] out = new float[w.length];
        for (int i = 0; i < lora.out(); i++) {
            for (int j = 0; j < lora.in(); j++) {
                double sum = 0;
                for (int k = 0; k < lora.r(); k++) {
                    sum += (double) lora.b()[i * lora.r() + k] * lora.a()[k * lora.in() + j];
                }
                out[i * lora.in() + j] = (float) (w[i * lora.in() + j] + scale * sum);
            }
        }
        return out;
    }

    @Test
    void mergedWeightsAreWPlusScaledBaAndEverythingElseIsCopied() throws Exception {
        Path out = tmp.resolve("merged");
        AdapterMerger.Result result = AdapterMerger.merge(model, adapterDir, out, AdapterMerger.Options.defaults());
        assertThat(result.mergedModules()).hasSize(4);
        assertThat(result.weightFiles()).containsExactly(out.resolve("model.safetensors"));
        try (Checkpoint base = Checkpoint.open(model); Checkpoint merged = Checkpoint.open(out)) {
            assertThat(List.copyOf(merged.names())).isEqualTo(List.copyOf(base.names()));
            for (String name : base.names()) {
                String module = name.substring(0, name.length() - ".weight".length());
                LoraWeights lora = adapter.modules().get(module);
                if (lora == null) {
                    assertThat(merged.bytes(name)).as(name).isEqualTo(base.bytes(name));
                    continue;
                }
                // rsLoRA: alpha / sqrt(r); layer 1's q_proj is rank 4 with alpha 3 from the patterns.
                double scale = module.equals("model.layers.1.self_attn.q_proj") ? 3 / 2.0 : 8 / Math.sqrt(2);
                assertThat(merged.floats(name)).as(name).containsExactly(expected(base.floats(name), lora, scale));
            }
        }
        assertThat(out.resolve("tokenizer.json")).hasContent("{}");
        assertThat(out.resolve("config.json")).exists();
        assertThat(out.resolve("pytorch_model.bin")).doesNotExist();
    }

    @Test
    void aboveTheShardLimitWritesShardsAndAnIndexThatReadBackTheSame() throws Exception {
        Path single = tmp.resolve("merged-single");
        Path sharded = tmp.resolve("merged-sharded");
        AdapterMerger.merge(model, adapterDir, single, AdapterMerger.Options.defaults());
        AdapterMerger.Result result = AdapterMerger.merge(model, adapterDir, sharded, new AdapterMerger.Options(null, 40_000));
        assertThat(result.weightFiles()).hasSizeGreaterThan(2).last().isEqualTo(sharded.resolve("model.safetensors.index.json"));
        assertThat(sharded.resolve("model.safetensors")).doesNotExist();
        assertThat(sharded.resolve(String.format("model-00001-of-%05d.safetensors", result.weightFiles().size() - 1))).exists();
        JsonNode index = new ObjectMapper().readTree(sharded.resolve("model.safetensors.index.json").toFile());
        long total = 0;
        try (Checkpoint a = Checkpoint.open(single); Checkpoint b = Checkpoint.open(sharded)) {
            assertThat(b.names()).containsExactlyInAnyOrderElementsOf(a.names());
            for (String name : a.names()) {
                assertThat(b.bytes(name)).as(name).isEqualTo(a.bytes(name));
                total += a.info(name).byteLength();
            }
            for (Path shard : b.files()) {
                assertThat(Files.size(shard)).isLessThan(40_000 + 4_096);
            }
        }
        assertThat(index.path("metadata").path("total_size").asLong()).isEqualTo(total);
        assertThat(index.path("weight_map").size()).isEqualTo(a(single));
    }

    private static int a(Path dir) {
        try (Checkpoint c = Checkpoint.open(dir)) {
            return c.names().size();
        }
    }

    @Test
    void dtypeConvertsEveryFloatTensorAndTheConfig() throws Exception {
        Path out = tmp.resolve("merged-bf16");
        AdapterMerger.merge(model, adapterDir, out, new AdapterMerger.Options(DType.BF16, AdapterMerger.DEFAULT_MAX_SHARD_BYTES));
        Path reference = tmp.resolve("merged-f32");
        AdapterMerger.merge(model, adapterDir, reference, AdapterMerger.Options.defaults());
        try (Checkpoint bf16 = Checkpoint.open(out); Checkpoint f32 = Checkpoint.open(reference)) {
            for (String name : f32.names()) {
                assertThat(bf16.info(name).dtype()).isEqualTo(DType.BF16);
                float[] x = f32.floats(name);
                float[] y = bf16.floats(name);
                for (int i = 0; i < x.length; i++) {
                    assertThat(y[i]).isCloseTo(x[i], within(Math.abs(x[i]) / 128 + 1e-30f));
                }
            }
        }
        assertThat(new ObjectMapper().readTree(out.resolve("config.json").toFile()).path("torch_dtype").asText()).isEqualTo("bfloat16");
    }

    @Test
    void refusesANonEmptyOutputAndAModuleTheModelLacks() throws Exception {
        Path busy = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(busy.resolve("x"), "");
        assertThatThrownBy(() -> AdapterMerger.merge(model, adapterDir, busy, AdapterMerger.Options.defaults()))
                .hasMessageContaining("not empty");
        Map<String, LoraWeights> extra = new LinkedHashMap<>();
        extra.put("model.layers.7.self_attn.q_proj", new LoraWeights("model.layers.7.self_attn.q_proj", 2, 64, 64,
                new float[128], new float[128]));
        Path bad = tmp.resolve("bad-adapter");
        PeftAdapter.of(new LoraConfig(2, 8, false, List.of("q_proj"), 0, null, false), extra.values()).write(bad);
        assertThatThrownBy(() -> AdapterMerger.merge(model, bad, tmp.resolve("never"), AdapterMerger.Options.defaults()))
                .hasMessageContaining("model.layers.7.self_attn.q_proj").hasMessageContaining("no weight");
        assertThat(tmp.resolve("never")).doesNotExist();
    }

}
