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
import dev.safelora.tensor.Checkpoint;
import dev.safelora.training.TinyTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergeCommandTest {

    @TempDir
    static Path tmp;
    static Path model;
    static Path adapter;

    @BeforeAll
    static void modelAndAdapterOnEveryModule() {
        TinyTask.oneTorchThread();
        model = tmp.resolve("model");
        assertThat(CliRun.of("tiny-model", "--out", model.toString(), "--arch", "llama3-gqa", "--layers", "2", "--seed", "4").exitCode())
                .isZero();
        Random random = new Random(2);
        List<LoraWeights> weights = new ArrayList<>();
        try (Checkpoint weightsFile = Checkpoint.open(model)) {
        for (String module : CausalLm.load(model, ComputeDevice.cpu()).linearModules()) {
            long[] shape = weightsFile.info(module + ".weight").shape();
            int r = module.endsWith("v_proj") ? 3 : 2;
            int out = (int) shape[0];
            int in = (int) shape[1];
            float[] a = new float[r * in];
            float[] b = new float[out * r];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextGaussian() * 0.2f;
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) random.nextGaussian() * 0.2f;
            }
            weights.add(new LoraWeights(module, r, in, out, a, b));
        }
        }
        adapter = tmp.resolve("adapter");
        PeftAdapter.of(new LoraConfig(2, 4, true, List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
                0, null, false, Map.of("v_proj", 3), Map.of("down_proj", 1.5)), weights).write(adapter);
    }

    @Test
    void mergedShardedModelGivesTheLogitsOfModelPlusAdapterAndLoadsInTrainAndAlign() throws Exception {
        Path merged = tmp.resolve("merged");
        CliRun merge = CliRun.of("merge", "--model", model.toString(), "--adapter", adapter.toString(), "--out", merged.toString(),
                "--max-shard-size", "100KB");
        assertThat(merge.exitCode()).as(merge.err()).isZero();
        assertThat(merge.out()).contains("merged 14 modules");
        assertThat(merged.resolve("model.safetensors.index.json")).exists();
        assertThat(merged.resolve("tokenizer.json")).exists();
        assertThat(merged.resolve("generation_config.json")).exists();

        Path withAdapter = tmp.resolve("with-adapter.json");
        Path fromMerged = tmp.resolve("merged.json");
        Path plain = tmp.resolve("plain.json");
        String ids = "1,40,77,300,5,9";
        assertThat(CliRun.of("logits", "--model", model.toString(), "--adapter", adapter.toString(), "--ids", ids,
                "--out", withAdapter.toString()).exitCode()).isZero();
        assertThat(CliRun.of("logits", "--model", merged.toString(), "--ids", ids, "--out", fromMerged.toString()).exitCode()).isZero();
        assertThat(CliRun.of("logits", "--model", model.toString(), "--ids", ids, "--out", plain.toString()).exitCode()).isZero();
        ObjectMapper json = new ObjectMapper();
        JsonNode expected = json.readTree(withAdapter.toFile()).get("logits");
        JsonNode actual = json.readTree(fromMerged.toFile()).get("logits");
        JsonNode base = json.readTree(plain.toFile()).get("logits");
        double largestChange = 0;
        for (int t = 0; t < expected.size(); t++) {
            for (int v = 0; v < expected.get(t).size(); v++) {
                assertThat(actual.get(t).get(v).doubleValue()).isCloseTo(expected.get(t).get(v).doubleValue(), within(1e-5));
                largestChange = Math.max(largestChange, Math.abs(expected.get(t).get(v).doubleValue() - base.get(t).get(v).doubleValue()));
            }
        }
        assertThat(largestChange).as("the adapter must change the logits for the comparison to mean anything").isGreaterThan(0.01);

        Path data = TinyTask.data(tmp);
        CliRun train = CliRun.of("train", "--model", merged.toString(), "--data", data.toString(), "--out", tmp.resolve("run").toString(),
                "--epochs", "1", "--batch-size", "10", "--max-seq-len", "48");
        assertThat(train.exitCode()).as(train.err()).isZero();
        CliRun align = CliRun.of("align", "--base", model.toString(), "--aligned", merged.toString(), "--modules", "q_proj,down_proj",
                "--out", tmp.resolve("alignment").toString());
        assertThat(align.exitCode()).as(align.err()).isZero();
        assertThat(align.out()).contains("aligned 4 modules (0 excluded)");
    }

    @Test
    void badInputIsOneLine() throws Exception {
        Path busy = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(busy.resolve("file"), "x");
        CliRun notEmpty = CliRun.of("merge", "--model", model.toString(), "--adapter", adapter.toString(), "--out", busy.toString());
        assertThat(notEmpty.exitCode()).isEqualTo(1);
        assertThat(notEmpty.err().strip()).contains("output directory is not empty").doesNotContain("\n");
        CliRun size = CliRun.of("merge", "--model", model.toString(), "--adapter", adapter.toString(), "--out",
                tmp.resolve("x").toString(), "--max-shard-size", "lots");
        assertThat(size.exitCode()).isEqualTo(2);
        assertThat(size.err()).contains("--max-shard-size must be a size");
        CliRun noAdapter = CliRun.of("merge", "--model", model.toString(), "--adapter", tmp.resolve("none").toString(), "--out",
                tmp.resolve("y").toString());
        assertThat(noAdapter.exitCode()).isEqualTo(1);
        assertThat(noAdapter.err()).contains("no such adapter directory");
    }
}
