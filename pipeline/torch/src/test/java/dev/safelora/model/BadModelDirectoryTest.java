package dev.safelora.model;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safelora.tensor.Checkpoint;
import dev.safelora.tensor.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BadModelDirectoryTest {

    @TempDir
    static Path tmp;

    static Path good;

    @BeforeAll
    static void writeModel() {
        good = tmp.resolve("good");
        TinyModels.write(good, TinyModels.Shape.llama().withLayers(1), 1);
    }

    static Path copyWithConfig(String name, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Files.copy(good.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(good.resolve("config.json").toFile());
        edit.accept(config);
        json.writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }

    /** A copy whose weights file is rewritten through {@code edit} (name -> keep/replace). */
    static Path copyWithWeights(String name, String dropTensor, String reshapeTensor) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Files.copy(good.resolve("config.json"), dir.resolve("config.json"));
        SafetensorsWriter out = new SafetensorsWriter();
        try (Checkpoint ckpt = Checkpoint.open(good)) {
            for (String n : ckpt.names()) {
                if (n.equals(dropTensor)) {
                    continue;
                }
                float[] data = ckpt.floats(n);
                long[] shape = ckpt.info(n).shape();
                if (n.equals(reshapeTensor)) {
                    shape = new long[] {shape[1], shape[0]};
                }
                out.addFloats(n, shape, data);
            }
        }
        out.write(dir.resolve("model.safetensors"));
        return dir;
    }

    @Test
    void missingConfigKeyIsNamed() throws IOException {
        Path dir = copyWithConfig("no-hidden", c -> c.remove("hidden_size"));
        assertThatThrownBy(() -> CausalLm.load(dir, ComputeDevice.cpu()))
                .hasMessageContaining("config.json").hasMessageContaining("'hidden_size'");
    }

    @Test
    void unsupportedArchitectureIsNamed() throws IOException {
        Path dir = copyWithConfig("gpt2", c -> c.putArray("architectures").add("GPT2LMHeadModel"));
        assertThatThrownBy(() -> CausalLm.load(dir, ComputeDevice.cpu()))
                .hasMessageContaining("unsupported architecture 'GPT2LMHeadModel'")
                .hasMessageContaining("LlamaForCausalLM");
    }

    @Test
    void unsupportedRopeScalingIsNamed() throws IOException {
        Path dir = copyWithConfig("yarn", c -> c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0));
        assertThatThrownBy(() -> CausalLm.load(dir, ComputeDevice.cpu())).hasMessageContaining("rope_scaling type 'yarn'");
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path dir = copyWithWeights("no-v", "model.layers.0.self_attn.v_proj.weight", null);
        assertThatThrownBy(() -> CausalLm.load(dir, ComputeDevice.cpu()))
                .hasMessageContaining("missing tensor 'model.layers.0.self_attn.v_proj.weight'");
    }

    @Test
    void wrongShapeIsNamedWithBothShapes() throws IOException {
        Path dir = copyWithWeights("transposed", null, "model.layers.0.mlp.up_proj.weight");
        assertThatThrownBy(() -> CausalLm.load(dir, ComputeDevice.cpu()))
                .hasMessageContaining("'model.layers.0.mlp.up_proj.weight'")
                .hasMessageContaining("[64, 128]").hasMessageContaining("[128, 64]");
    }

    @Test
    void configThatDisagreesWithTheWeightsIsCaught() throws IOException {
        Path dir = copyWithConfig("wrong-kv", c -> c.put("num_key_value_heads", 2));
        assertThatThrownBy(() -> CausalLm.load(dir, ComputeDevice.cpu()))
                .hasMessageContaining("k_proj.weight").hasMessageContaining("has shape [64, 64]");
    }

    @Test
    void missingConfigOrWeightsAreReported() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> CausalLm.load(empty, ComputeDevice.cpu())).hasMessageContaining("has no config.json");
        Path noWeights = Files.createDirectories(tmp.resolve("config-only"));
        Files.copy(good.resolve("config.json"), noWeights.resolve("config.json"));
        assertThatThrownBy(() -> CausalLm.load(noWeights, ComputeDevice.cpu())).hasMessageContaining("model.safetensors");
    }

    @Test
    void unknownDeviceAndAbsentCudaAreClearErrors() {
        assertThatThrownBy(() -> ComputeDevice.parse("tpu")).hasMessageContaining("unknown device 'tpu'");
        Assumptions.assumeFalse(torch.cuda_is_available(), "CUDA present: nothing to refuse");
        assertThatThrownBy(() -> ComputeDevice.parse("cuda:1")).hasMessageContaining("no CUDA device is usable");
        assertThatThrownBy(() -> ComputeDevice.parse("cuda")).hasMessageContaining("'cuda' requested");
    }
}
