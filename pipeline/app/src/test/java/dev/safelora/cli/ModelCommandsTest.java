package dev.safelora.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import dev.safelora.model.CausalLm;
import dev.safelora.model.ComputeDevice;
import dev.safelora.model.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCommandsTest {

    @TempDir
    static Path tmp;

    static Path model;
    static Path adapter;

    static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @BeforeAll
    static void writeModelAndAdapter() {
        model = tmp.resolve("model");
        assertThat(run("tiny-model", "--out", model.toString(), "--arch", "llama3-gqa", "--layers", "2", "--seed", "8").exitCode()).isZero();
        CausalLm lm = CausalLm.load(model, ComputeDevice.cpu());
        Random random = new Random(1);
        List<LoraWeights> weights = new ArrayList<>();
        for (String module : lm.linearModules()) {
            if (module.endsWith("q_proj")) {
                float[] a = new float[2 * 96];
                float[] b = new float[96 * 2];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) random.nextGaussian() * 0.3f;
                    b[i] = (float) random.nextGaussian() * 0.3f;
                }
                weights.add(new LoraWeights(module, 2, 96, 96, a, b));
            }
        }
        adapter = tmp.resolve("adapter");
        PeftAdapter.of(new LoraConfig(2, 4, false, List.of("q_proj"), 0, null, false), weights).write(adapter);
    }

    @Test
    void logitsPrintsOneRowPerPositionMatchingTheModel() throws Exception {
        CliRun r = run("logits", "--model", model.toString(), "--ids", "1,5,300,42");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(r.out()).get("logits");
        float[][] expected = CausalLm.load(model, ComputeDevice.cpu()).logits(new long[] {1, 5, 300, 42});
        assertThat(rows.size()).isEqualTo(4);
        for (int t = 0; t < 4; t++) {
            assertThat(rows.get(t).size()).isEqualTo(expected[t].length);
            for (int v = 0; v < expected[t].length; v++) {
                assertThat(rows.get(t).get(v).floatValue()).isEqualTo(expected[t][v]);
            }
        }
    }

    @Test
    void aMalformedDeviceIsAUsageErrorBeforeAnythingLoads() {
        CliRun r = run("logits", "--model", model.toString(), "--ids", "1", "--device", "tpu");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("'tpu' is not a device (cpu, cuda or cuda:N)");
        assertThat(run("logits", "--model", model.toString(), "--ids", "1", "--device", "CPU").exitCode()).isZero();
    }

    @Test
    void adapterChangesTheLogitsTheSameWhetherMergedOrNot() throws Exception {
        Path plain = tmp.resolve("plain.json");
        Path onTheFly = tmp.resolve("lora.json");
        Path merged = tmp.resolve("merged.json");
        assertThat(run("logits", "--model", model.toString(), "--ids", "1,2,3", "--out", plain.toString()).exitCode()).isZero();
        assertThat(run("logits", "--model", model.toString(), "--adapter", adapter.toString(), "--ids", "1,2,3",
                "--out", onTheFly.toString()).exitCode()).isZero();
        assertThat(run("logits", "--model", model.toString(), "--adapter", adapter.toString(), "--merge", "--ids", "1,2,3",
                "--out", merged.toString()).exitCode()).isZero();
        ObjectMapper json = new ObjectMapper();
        JsonNode a = json.readTree(plain.toFile()).get("logits");
        JsonNode b = json.readTree(onTheFly.toFile()).get("logits");
        JsonNode c = json.readTree(merged.toFile()).get("logits");
        assertThat(Math.abs(a.get(2).get(10).doubleValue() - b.get(2).get(10).doubleValue())).isGreaterThan(1e-4);
        for (int v = 0; v < b.get(2).size(); v++) {
            assertThat(c.get(2).get(v).doubleValue()).isCloseTo(b.get(2).get(v).doubleValue(), within(1e-4));
        }
    }

    @Test
    void greedyGenerationIsRepeatableAndPrintsText() {
        CliRun first = run("generate", "--model", model.toString(), "--prompt", "The capital of France", "--greedy",
                "--max-new-tokens", "5", "--verbose");
        CliRun second = run("generate", "--model", model.toString(), "--prompt", "The capital of France", "--greedy",
                "--max-new-tokens", "5");
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).isEqualTo(second.out()).isNotBlank();
        assertThat(first.err()).contains("new ids [").contains("finished: ");
        // what it prints is the text of the new ids it reports, decoded by the model's own tokenizer
        java.util.regex.Matcher ids = java.util.regex.Pattern.compile("new ids \\[([0-9, ]*)\\]").matcher(first.err());
        assertThat(ids.find()).isTrue();
        long[] newIds = java.util.Arrays.stream(ids.group(1).split(",\\s*")).mapToLong(Long::parseLong).toArray();
        try (dev.safelora.tokenizer.TextTokenizer tokenizer = dev.safelora.tokenizer.TextTokenizer.load(model)) {
            assertThat(first.out()).isEqualTo(tokenizer.decode(newIds) + System.lineSeparator());
        }
    }

    @Test
    void tinyModelTakesItsSizesAndHeadScale() throws Exception {
        Path dir = tmp.resolve("sized");
        CliRun r = run("tiny-model", "--out", dir.toString(), "--hidden", "32", "--heads", "2", "--kv-heads", "1",
                "--intermediate", "48", "--layers", "1", "--head-scale", "4");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        assertThat(config.get("hidden_size").asInt()).isEqualTo(32);
        assertThat(config.get("num_attention_heads").asInt()).isEqualTo(2);
        assertThat(config.get("num_key_value_heads").asInt()).isEqualTo(1);
        assertThat(config.get("intermediate_size").asInt()).isEqualTo(48);
        try (dev.safelora.tensor.Checkpoint weights = dev.safelora.tensor.Checkpoint.open(dir)) {
            double mean = 0;
            for (float f : weights.floats("model.norm.weight")) {
                mean += f / 32.0;
            }
            assertThat(mean).isCloseTo(4.0, within(0.3));
        }
        CliRun bad = run("tiny-model", "--out", tmp.resolve("bad").toString(), "--hidden", "30", "--heads", "4");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("hidden size 30 is not a multiple of the 4 heads");
        assertThat(tmp.resolve("bad")).doesNotExist();
    }

    @Test
    void badInputIsOneLineAndANonZeroExit() throws Exception {
        CliRun missing = run("logits", "--model", tmp.resolve("nothing").toString(), "--ids", "1");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err().strip()).startsWith("safelora: error: ").contains("config.json").doesNotContain("\n");
        CliRun outside = run("logits", "--model", model.toString(), "--ids", "1,100000");
        assertThat(outside.exitCode()).isEqualTo(1);
        assertThat(outside.err()).contains("token id 100000 at position 1 is outside the vocabulary");
        CliRun template = run("generate", "--model", model.toString(), "--prompt", "x", "--template", "alpaca");
        assertThat(template.exitCode()).as("a bad option value is a usage error").isEqualTo(2);
        assertThat(template.err()).contains("'alpaca' is not one of raw, plain, llama2-chat");
        CliRun temperature = run("generate", "--model", model.toString(), "--prompt", "x", "--temperature", "0");
        assertThat(temperature.exitCode()).isEqualTo(2);
        assertThat(temperature.err()).contains("temperature must be a positive number").contains("see 'safelora generate --help'");
        CliRun arch = run("tiny-model", "--out", tmp.resolve("gpt2").toString(), "--arch", "gpt2");
        assertThat(arch.exitCode()).isEqualTo(2);
        assertThat(arch.err()).contains("'gpt2' is not one of llama, llama3-gqa, qwen2, mistral");
        CliRun dtype = run("tiny-model", "--out", tmp.resolve("f64").toString(), "--dtype", "F64");
        assertThat(dtype.exitCode()).isEqualTo(2);
        assertThat(dtype.err()).contains("--dtype must be f32, bf16 or f16, got f64");
        assertThat(tmp.resolve("f64")).doesNotExist();
        CliRun usage = run("logits", "--model", model.toString());
        assertThat(usage.exitCode()).isEqualTo(2);
        assertThat(Files.exists(tmp.resolve("nothing"))).isFalse();
    }
}
