package dev.safelora.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.tensor.Checkpoint;
import dev.safelora.tensor.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapter directories and checkpoints written by someone who wants to break the reader: wrong JSON types that a
 * lenient reader would coerce, duplicate keys, non-finite weights, patterns with catastrophic backtracking,
 * files that are not safetensors. Each is refused with one line naming the field or tensor, quickly, and without
 * quoting the file's bytes.
 */
class HostileAdapterTest {

    @TempDir
    Path dir;

    private static final String GOOD_WEIGHTS_MODULE = "model.layers.0.self_attn.q_proj";

    private void weights(float poison) {
        float[] a = new float[2 * 4];
        float[] b = new float[4 * 2];
        for (int i = 0; i < a.length; i++) {
            a[i] = 0.1f * (i + 1);
            b[i] = -0.05f * (i + 1);
        }
        a[5] = poison;
        new SafetensorsWriter()
                .addFloats("base_model.model." + GOOD_WEIGHTS_MODULE + ".lora_A.weight", new long[] {2, 4}, a)
                .addFloats("base_model.model." + GOOD_WEIGHTS_MODULE + ".lora_B.weight", new long[] {4, 2}, b)
                .write(dir.resolve(PeftAdapter.WEIGHTS_FILE));
    }

    private void config(String json) throws IOException {
        Files.writeString(dir.resolve(PeftAdapter.CONFIG_FILE), json);
    }

    @Test
    void wrongTypesAreRefusedNotCoerced() throws IOException {
        weights(0.5f);
        Map<String, String> cases = Map.of(
                "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":\"abc\",\"target_modules\":[\"q_proj\"]}", "\"lora_alpha\" must be a number",
                "{\"peft_type\":\"LORA\",\"r\":8.9,\"target_modules\":[\"q_proj\"]}", "\"r\" must be a whole number",
                "{\"peft_type\":\"LORA\",\"r\":\"2\",\"target_modules\":[\"q_proj\"]}", "\"r\" must be a whole number",
                "{\"peft_type\":\"LORA\",\"r\":2,\"use_rslora\":\"yes\",\"target_modules\":[\"q_proj\"]}", "\"use_rslora\" must be true or false",
                "{\"peft_type\":\"LORA\",\"r\":2,\"lora_dropout\":[0],\"target_modules\":[\"q_proj\"]}", "\"lora_dropout\" must be a number",
                "{\"peft_type\":\"LORA\",\"r\":2,\"target_modules\":[1]}", "\"target_modules\" must hold strings",
                "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":1e308,\"target_modules\":[\"q_proj\"]}", "lora_alpha must be a positive number at most",
                "{\"peft_type\":\"LORA\",\"r\":2,\"rank_pattern\":{\"q_proj\":2.5},\"target_modules\":[\"q_proj\"]}", "rank_pattern[q_proj] must be a number (a whole rank)");
        cases.forEach((json, expected) -> {
            try {
                config(json);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertThatThrownBy(() -> PeftAdapter.read(dir)).as(json).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(expected).hasMessageNotContaining("\n");
        });
        config("{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":4,\"target_modules\":[\"q_proj\"]}");
        assertThat(PeftAdapter.read(dir).config().alpha()).isEqualTo(4.0);
    }

    @Test
    void duplicateKeysInTheConfigAndTheShardIndexAreRefused() throws IOException {
        weights(0.5f);
        config("{\"peft_type\":\"LORA\",\"r\":2,\"r\":4,\"target_modules\":[\"q_proj\"]}");
        assertThatThrownBy(() -> PeftAdapter.read(dir)).hasMessageContaining("duplicate key at line 1");

        Path ckpt = Files.createDirectories(dir.resolve("ckpt"));
        new SafetensorsWriter().addFloats("w", new long[] {2}, new float[] {1, 2}).write(ckpt.resolve("model-00001.safetensors"));
        Files.writeString(ckpt.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"w\":\"model-00001.safetensors\",\"w\":\"model-00002.safetensors\"}}");
        assertThatThrownBy(() -> Checkpoint.open(ckpt)).hasMessageContaining("duplicate key");
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheTensor() throws IOException {
        config("{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":4,\"target_modules\":[\"q_proj\"]}");
        for (float poison : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            weights(poison);
            assertThatThrownBy(() -> PeftAdapter.read(dir)).as("%s", poison)
                    .hasMessageContainingAll(GOOD_WEIGHTS_MODULE + ".lora_A.weight", "NaN or infinity", "element 5");
        }
    }

    @Test
    void catastrophicPatternsEndQuicklyWithAClearErrorWhilePeftPatternsStillMatch() {
        LoraConfig hostile = new LoraConfig(8, 16, false, List.of("q_proj"), 0, null, false,
                Map.of("(.*.){16}z", 4), Map.of());
        long start = System.nanoTime();
        assertThatThrownBy(() -> hostile.rank("base_model.model.model.layers.31.self_attn.q_proj"))
                .hasMessageContainingAll("rank_pattern key \"(.*.){16}z\"", "catastrophic backtracking");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

        LoraConfig peft = new LoraConfig(8, 16, false, List.of("q_proj", "v_proj"), 0, null, false,
                new java.util.LinkedHashMap<>(Map.of("layers\\.1\\..*q_proj", 4)), Map.of("v_proj", 32.0));
        assertThat(peft.rank("model.layers.1.self_attn.q_proj")).isEqualTo(4);
        assertThat(peft.rank("model.layers.11.self_attn.q_proj")).isEqualTo(8);
        assertThat(peft.alpha("model.layers.3.self_attn.v_proj")).isEqualTo(32.0);
        assertThat(peft.alpha("model.layers.3.self_attn.xv_proj")).as("a key matches whole dotted parts only").isEqualTo(16.0);
    }

    @Test
    void aTextFileOrAFifoGivenAsWeightsIsDescribedWithoutItsBytes() throws Exception {
        Path shard = Files.writeString(dir.resolve("model.safetensors"), "root:x:0:0:root:/root:/bin/bash\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("is this a safetensors file")
                .hasMessageNotContaining("root:").hasMessageNotContaining(Long.toString(
                        java.nio.ByteBuffer.wrap(Files.readAllBytes(shard), 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong()));
        Files.delete(shard);
        Files.createDirectory(shard);
        assertThatThrownBy(() -> dev.safelora.tensor.SafetensorsFile.open(shard)).hasMessageContaining("not a regular file (a directory)");
    }
}
