package dev.safelora.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safelora.generation.Generation;
import dev.safelora.generation.GenerationConfig;
import dev.safelora.generation.TextGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Against numbers HF transformers itself produced for models it wrote (see resources/hf-reference/README.md). */
class HfReferenceTest {

    static Path root;
    static JsonNode expected;

    @BeforeAll
    static void read() throws Exception {
        root = Path.of(HfReferenceTest.class.getResource("/hf-reference/expected.json").toURI()).getParent();
        expected = new ObjectMapper().readTree(root.resolve("expected.json").toFile());
    }

    static long[] ids(JsonNode node) {
        long[] ids = new long[node.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = node.get(i).asLong();
        }
        return ids;
    }

    static void assertLogits(float[][] actual, JsonNode rows, int count) {
        for (int t = 0; t < count; t++) {
            JsonNode row = rows.get(t);
            assertThat(actual[t]).hasSize(row.size());
            for (int v = 0; v < row.size(); v++) {
                assertThat((double) actual[t][v]).as("position %d, token %d", t, v).isCloseTo(row.get(v).asDouble(), within(1e-4));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "mistral", "qwen2"})
    void logitsMatchTransformers(String name) {
        JsonNode e = expected.get(name);
        CausalLm model = CausalLm.load(root.resolve(name), ComputeDevice.cpu());
        assertLogits(model.logits(ids(e.get("ids"))), e.get("logits"), e.get("logits").size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "mistral", "qwen2"})
    void greedyGenerationMatchesTransformers(String name) {
        JsonNode e = expected.get(name);
        CausalLm model = CausalLm.load(root.resolve(name), ComputeDevice.cpu());
        List<Long> hf = new ArrayList<>();
        for (JsonNode id : e.get("greedy")) {
            if (id.asLong() == 2) {
                break;
            }
            hf.add(id.asLong());
        }
        Generation g = new TextGenerator(model, null).generate(ids(e.get("ids")), GenerationConfig.greedy(8, Set.of(2L)));
        assertThat(g.newIds()).containsExactly(hf.stream().mapToLong(Long::longValue).toArray());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "qwen2"})
    void rightPaddedRowMatchesTransformers(String name) {
        JsonNode e = expected.get(name);
        CausalLm model = CausalLm.load(root.resolve(name), ComputeDevice.cpu());
        long[] full = ids(e.get("ids"));
        long[] padded = new long[full.length];
        long[] mask = new long[full.length];
        for (int i = 0; i < 7; i++) {
            padded[i] = full[i];
            mask[i] = 1;
        }
        long[] ones = new long[full.length];
        java.util.Arrays.fill(ones, 1);
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            Tensor logits = model.forward(Tensors.fromLongs(new long[][] {full, padded}), Tensors.fromLongs(new long[][] {ones, mask}));
            float[] flat = Tensors.toFloats(logits.select(0, 1));
            int v = model.config().vocabSize();
            float[][] rows = new float[7][v];
            for (int t = 0; t < 7; t++) {
                System.arraycopy(flat, t * v, rows[t], 0, v);
            }
            assertLogits(rows, e.get("padded"), 7);
        }
    }

    @Test
    void peftAdapterWrittenByPeftGivesTheLogitsPeftComputed() {
        CausalLm model = CausalLm.load(root.resolve("qwen2"), ComputeDevice.cpu());
        Adapters.apply(model, root.resolve("qwen2-lora"));
        JsonNode e = expected.get("qwen2");
        assertLogits(model.logits(ids(e.get("ids"))), e.get("lora"), e.get("lora").size());
        model.mergeLora();
        assertLogits(model.logits(ids(e.get("ids"))), e.get("lora"), e.get("lora").size());
    }

    @Test
    void theTestsOwnReferenceForwardAgreesWithTransformers() throws Exception {
        JsonNode e = expected.get("llama3");
        double[][] ref = new ReferenceForward(root.resolve("llama3")).logits(ids(e.get("ids")));
        for (int t = 0; t < ref.length; t++) {
            for (int v = 0; v < ref[t].length; v++) {
                assertThat(ref[t][v]).isCloseTo(e.get("logits").get(t).get(v).asDouble(), within(1e-4));
            }
        }
    }
}
