package dev.safelora.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    @TempDir
    Path dir;

    private void shards() {
        new SafetensorsWriter().addFloats("model.layers.0.w", new long[] {2}, new float[] {1, 2})
                .addFloats("model.layers.1.w", new long[] {1}, new float[] {3}).write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().addFloats("lm_head.weight", new long[] {1, 2}, new float[] {4, 5}, DType.BF16)
                .write(dir.resolve("model-00002-of-00002.safetensors"));
    }

    private void index(String weightMap) throws IOException {
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"metadata\":{\"total_size\":16},\"weight_map\":{" + weightMap + "}}");
    }

    private static final String GOOD_MAP = "\"model.layers.0.w\":\"model-00001-of-00002.safetensors\","
            + "\"model.layers.1.w\":\"model-00001-of-00002.safetensors\",\"lm_head.weight\":\"model-00002-of-00002.safetensors\"";

    @Test
    void readsEveryTensorOfAShardedCheckpoint() throws IOException {
        shards();
        index(GOOD_MAP);
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(c.names()).containsExactly("model.layers.0.w", "model.layers.1.w", "lm_head.weight");
            assertThat(c.floats("lm_head.weight")).containsExactly(4, 5);
            assertThat(c.floats("model.layers.1.w")).containsExactly(3);
            assertThat(c.info("lm_head.weight").dtype()).isEqualTo(DType.BF16);
            assertThat(c.bytes("model.layers.0.w").getFloat(4)).isEqualTo(2f);
            assertThat(c.files()).hasSize(2);
            assertThat(c.contains("nope")).isFalse();
            assertThatThrownBy(() -> c.floats("nope")).hasMessageContaining("\"nope\"");
        }
    }

    @Test
    void refusesAnIndexNamingAMissingShard() throws IOException {
        shards();
        index(GOOD_MAP + ",\"x\":\"model-00003-of-00003.safetensors\"");
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContainingAll(Checkpoint.INDEX_FILE, "shard files missing",
                "model-00003-of-00003.safetensors");
    }

    @Test
    void refusesATensorThatIsNotWhereTheIndexSays() throws IOException {
        shards();
        index("\"model.layers.0.w\":\"model-00002-of-00002.safetensors\",\"lm_head.weight\":\"model-00002-of-00002.safetensors\"");
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContainingAll("not where the index says", "\"model.layers.0.w\"");
    }

    @Test
    void refusesShardPathsOutsideTheDirectory() throws IOException {
        shards();
        index("\"w\":\"../model-00001-of-00002.safetensors\"");
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("not a plain file name");
    }

    @Test
    void refusesAPickleOnlyDirectory() throws IOException {
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContainingAll("pytorch_model.bin", "pickle", "arbitrary code");
    }

    @Test
    void refusesADirectoryWithoutWeights() {
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("no model.safetensors");
        assertThatThrownBy(() -> Checkpoint.open(dir.resolve("absent"))).hasMessageContaining("no such checkpoint directory");
    }

    @Test
    void opensASingleFileCheckpointAndReportsABrokenOne() throws IOException {
        new SafetensorsWriter().addFloats("w", new long[] {1}, new float[] {7}).write(dir.resolve(Checkpoint.SINGLE_FILE));
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(c.floats("w")).containsExactly(7);
        }
        Files.write(dir.resolve(Checkpoint.SINGLE_FILE), new byte[] {1, 0, 0, 0, 0, 0, 0, 0, '{'});
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining(Checkpoint.SINGLE_FILE);
    }
}
