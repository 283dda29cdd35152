package dev.safelora.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CausalLmTest {

    @TempDir
    static Path tmp;

    static Path llama;
    static Path gqa;
    static Path qwen;
    static Path mistral;

    static final long[] IDS = {1, 17, 290, 45, 3, 300, 120, 99, 12};

    @BeforeAll
    static void writeModels() {
        llama = tmp.resolve("llama");
        gqa = tmp.resolve("llama3-gqa");
        qwen = tmp.resolve("qwen2");
        mistral = tmp.resolve("mistral");
        TinyModels.write(llama, TinyModels.Shape.llama(), 1);
        TinyModels.write(gqa, TinyModels.Shape.llama3Gqa(), 2);
        TinyModels.write(qwen, TinyModels.Shape.qwen2(), 3);
        TinyModels.write(mistral, TinyModels.Shape.mistral(), 4);
    }

    static void assertClose(float[][] actual, double[][] expected, double tolerance) {
        assertThat(actual.length).isEqualTo(expected.length);
        for (int t = 0; t < expected.length; t++) {
            assertThat(actual[t].length).isEqualTo(expected[t].length);
            for (int v = 0; v < expected[t].length; v++) {
                assertThat((double) actual[t][v]).as("logit [%d][%d]", t, v).isCloseTo(expected[t][v], within(tolerance));
            }
        }
    }

    static void assertClose(float[][] actual, float[][] expected, double tolerance) {
        double[][] e = new double[expected.length][];
        for (int t = 0; t < expected.length; t++) {
            e[t] = new double[expected[t].length];
            for (int v = 0; v < e[t].length; v++) {
                e[t][v] = expected[t][v];
            }
        }
        assertClose(actual, e, tolerance);
    }

    @Test
    void llamaLogitsMatchThePlainReference() throws Exception {
        assertClose(CausalLm.load(llama, ComputeDevice.cpu()).logits(IDS), new ReferenceForward(llama).logits(IDS), 2e-4);
    }

    @Test
    void groupedQueryAttentionWithLlama3RopeScalingMatchesTheReference() throws Exception {
        CausalLm model = CausalLm.load(gqa, ComputeDevice.cpu());
        assertThat(model.config().groups()).isEqualTo(3);
        assertThat(model.config().ropeScaling().type()).isEqualTo("llama3");
        // Long enough that positions reach the scaled low-frequency bands of the rotary embedding.
        long[] ids = new long[80];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 37 + 5) % model.config().vocabSize();
        }
        assertClose(model.logits(ids), new ReferenceForward(gqa).logits(ids), 3e-4);
    }

    @Test
    void qwen2BiasesAndTiedEmbeddingsMatchTheReference() throws Exception {
        CausalLm model = CausalLm.load(qwen, ComputeDevice.cpu());
        assertThat(model.config().attentionBias()).isTrue();
        assertThat(model.config().tieWordEmbeddings()).isTrue();
        assertClose(model.logits(IDS), new ReferenceForward(qwen).logits(IDS), 2e-4);
    }

    @Test
    void mistralMatchesTheReference() throws Exception {
        assertClose(CausalLm.load(mistral, ComputeDevice.cpu()).logits(IDS), new ReferenceForward(mistral).logits(IDS), 2e-4);
    }

    @Test
    void mistralSlidingWindowMatchesTheReferenceWithAndWithoutCache() throws Exception {
        Path dir = tmp.resolve("mistral-window");
        TinyModels.write(dir, TinyModels.Shape.mistral(), 4);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        json.writeValue(dir.resolve("config.json").toFile(), config.put("sliding_window", 3));
        CausalLm model = CausalLm.load(dir, ComputeDevice.cpu());
        assertThat(model.config().slidingWindow()).isEqualTo(3);
        float[][] full = model.logits(IDS);
        assertClose(full, new ReferenceForward(dir).logits(IDS), 2e-4);
        // The window matters: without it the late positions differ.
        assertThat(Math.abs(full[8][3] - CausalLm.load(mistral, ComputeDevice.cpu()).logits(IDS)[8][3])).isGreaterThan(1e-4f);
        try (NoGradGuard guard = new NoGradGuard(); KvCache cache = model.newCache()) {
            for (int t = 0; t < IDS.length; t++) {
                try (PointerScope scope = new PointerScope()) {
                    float[] out = Tensors.toFloats(model.forward(Tensors.fromLongs(new long[] {IDS[t]}, 1, 1), null, cache));
                    for (int v = 0; v < out.length; v++) {
                        assertThat(out[v]).isCloseTo(full[t][v], within(1e-4f));
                    }
                }
            }
        }
    }

    @Test
    void shardedCheckpointLoadsToTheSameModel() throws Exception {
        Path dir = tmp.resolve("sharded");
        java.nio.file.Files.createDirectories(dir);
        var index = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        var map = index.putObject("weight_map");
        dev.safelora.tensor.SafetensorsWriter[] shards = {new dev.safelora.tensor.SafetensorsWriter(),
                new dev.safelora.tensor.SafetensorsWriter()};
        try (var ckpt = dev.safelora.tensor.Checkpoint.open(gqa)) {
            int i = 0;
            for (String name : ckpt.names()) {
                int shard = i++ % 2;
                shards[shard].addFloats(name, ckpt.info(name).shape(), ckpt.floats(name));
                map.put(name, "model-0000" + (shard + 1) + "-of-00002.safetensors");
            }
        }
        shards[0].write(dir.resolve("model-00001-of-00002.safetensors"));
        shards[1].write(dir.resolve("model-00002-of-00002.safetensors"));
        java.nio.file.Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
        java.nio.file.Files.copy(gqa.resolve("config.json"), dir.resolve("config.json"));
        assertClose(CausalLm.load(dir, ComputeDevice.cpu()).logits(IDS), CausalLm.load(gqa, ComputeDevice.cpu()).logits(IDS), 0);
    }

    @Test
    void bf16StoredWeightsAreWidenedToFp32OnCpu() throws Exception {
        Path dir = tmp.resolve("bf16");
        TinyModels.write(dir, TinyModels.Shape.qwen2(), 3, DType.BF16);
        // The reference reads the same bf16 values widened by the safetensors reader.
        assertClose(CausalLm.load(dir, ComputeDevice.cpu()).logits(IDS), new ReferenceForward(dir).logits(IDS), 2e-4);
    }

    @Test
    void rightPaddedBatchGivesEachSequenceItsOwnLogits() {
        CausalLm model = CausalLm.load(gqa, ComputeDevice.cpu());
        long[] a = {1, 40, 41, 42, 43, 44};
        long[] b = {1, 200, 201};
        int pad = 3;
        float[][] alone = model.logits(b);
        float[][] aloneA = model.logits(a);
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            Tensor ids = Tensors.fromLongs(new long[][] {a, {1, 200, 201, pad, pad, pad}});
            Tensor mask = Tensors.fromLongs(new long[][] {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 0, 0, 0}});
            Tensor logits = model.forward(ids, mask);
            assertThat(Tensors.shape(logits)).containsExactly(2, 6, model.config().vocabSize());
            float[] flat = Tensors.toFloats(logits);
            int v = model.config().vocabSize();
            for (int t = 0; t < 3; t++) {
                for (int i = 0; i < v; i++) {
                    assertThat(flat[(6 + t) * v + i]).isCloseTo(alone[t][i], within(1e-4f));
                }
            }
            for (int t = 0; t < 6; t++) {
                for (int i = 0; i < v; i++) {
                    assertThat(flat[t * v + i]).isCloseTo(aloneA[t][i], within(1e-4f));
                }
            }
        }
    }

    @Test
    void kvCacheStepsGiveTheSameLogitsAsOneFullForward() {
        CausalLm model = CausalLm.load(qwen, ComputeDevice.cpu());
        float[][] full = model.logits(IDS);
        int v = model.config().vocabSize();
        try (NoGradGuard guard = new NoGradGuard(); KvCache cache = model.newCache()) {
            int prefill = 4;
            try (PointerScope scope = new PointerScope()) {
                float[] out = Tensors.toFloats(model.forward(Tensors.fromLongs(java.util.Arrays.copyOf(IDS, prefill), 1, prefill), null, cache));
                for (int t = 0; t < prefill; t++) {
                    for (int i = 0; i < v; i++) {
                        assertThat(out[t * v + i]).isCloseTo(full[t][i], within(1e-4f));
                    }
                }
            }
            // Two tokens at once, then one at a time: exercises the offset causal mask too.
            int t = prefill;
            while (t < IDS.length) {
                int n = t == prefill ? 2 : 1;
                try (PointerScope scope = new PointerScope()) {
                    long[] step = java.util.Arrays.copyOfRange(IDS, t, t + n);
                    float[] out = Tensors.toFloats(model.forward(Tensors.fromLongs(step, 1, n), null, cache));
                    for (int k = 0; k < n; k++) {
                        for (int i = 0; i < v; i++) {
                            assertThat(out[k * v + i]).isCloseTo(full[t + k][i], within(1e-4f));
                        }
                    }
                }
                t += n;
            }
            assertThat(cache.length()).isEqualTo(IDS.length);
        }
    }

    @Test
    void frozenWeightsNeverRequireGrad() {
        CausalLm model = CausalLm.load(llama, ComputeDevice.cpu());
        assertThat(model.trainableParameters()).isEmpty();
        try (PointerScope scope = new PointerScope()) {
            Tensor logits = model.forward(Tensors.fromLongs(IDS, 1, IDS.length), null);
            assertThat(logits.requires_grad()).isFalse();
        }
    }

    @Test
    void closeFreesTheModelOnceAndLaterUseIsAClearError() {
        CausalLm model = CausalLm.load(llama, ComputeDevice.cpu());
        model.addTrainableLora(new LoraSpec(2, 4, false, List.of("q_proj"), 0, 1));
        model.mergeLora();
        model.close();
        model.close();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.logits(IDS)).hasMessageContaining("closed");
    }

    @Test
    void linearModuleNamesFollowHf() {
        CausalLm model = CausalLm.load(llama, ComputeDevice.cpu());
        assertThat(model.linearModules()).hasSize(14).startsWith("model.layers.0.self_attn.q_proj",
                "model.layers.0.self_attn.k_proj").endsWith("model.layers.1.mlp.down_proj");
    }

    @Test
    void sameSeedWritesIdenticalModels() throws Exception {
        Path again = tmp.resolve("llama-again");
        TinyModels.write(again, TinyModels.Shape.llama(), 1);
        assertThat(java.nio.file.Files.mismatch(llama.resolve("model.safetensors"), again.resolve("model.safetensors"))).isEqualTo(-1);
        assertThat(java.nio.file.Files.readString(again.resolve("tokenizer.json")))
                .isEqualTo(java.nio.file.Files.readString(llama.resolve("tokenizer.json")));
    }

    @Test
    void alignedSiblingDiffersByASmallLowRankChangeOfTheProjectionsOnly() {
        Path aligned = tmp.resolve("llama-aligned");
        TinyModels.writeAligned(llama, aligned, 0.05, 9);
        try (var base = dev.safelora.tensor.Checkpoint.open(llama); var al = dev.safelora.tensor.Checkpoint.open(aligned)) {
            assertThat(al.names()).isEqualTo(base.names());
            for (String name : base.names()) {
                float[] x = base.floats(name);
                float[] y = al.floats(name);
                double diff = 0;
                double norm = 0;
                for (int i = 0; i < x.length; i++) {
                    diff += (x[i] - y[i]) * (double) (x[i] - y[i]);
                    norm += x[i] * (double) x[i];
                }
                if (name.endsWith("_proj.weight")) {
                    assertThat(Math.sqrt(diff / norm)).as(name).isBetween(0.005, 0.5);
                } else {
                    assertThat(diff).as(name).isZero();
                }
            }
        }
        assertThat(List.of(CausalLm.load(aligned, ComputeDevice.cpu()).logits(IDS)[0][0]))
                .isNotEqualTo(List.of(CausalLm.load(llama, ComputeDevice.cpu()).logits(IDS)[0][0]));
    }
}
