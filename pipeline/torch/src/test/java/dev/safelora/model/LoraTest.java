package dev.safelora.model;

import static dev.safelora.model.CausalLmTest.IDS;
import static dev.safelora.model.CausalLmTest.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.safelora.adapter.LoraConfig;
import dev.safelora.adapter.LoraWeights;
import dev.safelora.adapter.PeftAdapter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraTest {

    @TempDir
    static Path tmp;

    static Path qwen;

    @BeforeAll
    static void writeModel() {
        qwen = tmp.resolve("qwen2");
        TinyModels.write(qwen, TinyModels.Shape.qwen2(), 5);
    }

    /** Random non-zero factors for every module whose name ends with one of {@code leaves}. */
    static List<LoraFactors> randomFactors(CausalLm model, int r, double scale, long seed, String... leaves) {
        Random random = new Random(seed);
        List<LoraFactors> out = new ArrayList<>();
        for (String module : model.linearModules()) {
            if (!LoraSpec.matches(module, List.of(leaves))) {
                continue;
            }
            int in = module.endsWith("down_proj") ? model.config().intermediateSize() : model.config().hiddenSize();
            int outDim = switch (module.substring(module.lastIndexOf('.') + 1)) {
                case "q_proj", "o_proj", "down_proj" -> module.endsWith("o_proj") || module.endsWith("down_proj")
                        ? model.config().hiddenSize() : model.config().numHeads() * model.config().headDim();
                case "k_proj", "v_proj" -> model.config().numKvHeads() * model.config().headDim();
                default -> model.config().intermediateSize();
            };
            float[] a = new float[r * in];
            float[] b = new float[outDim * r];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (random.nextGaussian() * 0.2);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (random.nextGaussian() * 0.2);
            }
            out.add(new LoraFactors(module, r, in, outDim, a, b, scale));
        }
        return out;
    }

    static ReferenceForward referenceWith(List<LoraFactors> factors) throws Exception {
        ReferenceForward ref = new ReferenceForward(qwen);
        for (LoraFactors f : factors) {
            ref.addLora(f.module(), f.a(), f.b(), f.r(), f.scale());
        }
        return ref;
    }

    @Test
    void loraOnTheFlyMatchesTheReferenceWithMergedWeightsAndMergingChangesNothing() throws Exception {
        CausalLm model = CausalLm.load(qwen, ComputeDevice.cpu());
        List<LoraFactors> factors = randomFactors(model, 4, 2.0, 11, "q_proj", "v_proj", "o_proj", "down_proj");
        model.loadLora(factors, 0.0, false);
        float[][] onTheFly = model.logits(IDS);
        assertClose(onTheFly, referenceWith(factors).logits(IDS), 2e-4);
        float[][] base = CausalLm.load(qwen, ComputeDevice.cpu()).logits(IDS);
        assertThat(Math.abs(onTheFly[3][7] - base[3][7])).isGreaterThan(1e-3f);

        model.mergeLora();
        assertThat(model.exportLora()).isEmpty();
        assertClose(model.logits(IDS), onTheFly, 1e-4);
    }

    @Test
    void peftAdapterDirectoryIsAppliedWithItsScale() throws Exception {
        CausalLm model = CausalLm.load(qwen, ComputeDevice.cpu());
        List<LoraFactors> factors = randomFactors(model, 2, 1.0, 12, "k_proj", "gate_proj");
        LoraConfig config = new LoraConfig(2, 8.0, false, List.of("k_proj", "gate_proj"), 0.05, qwen.toString(), false);
        List<LoraWeights> weights = factors.stream()
                .map(f -> new LoraWeights(f.module(), f.r(), f.in(), f.out(), f.a(), f.b())).toList();
        Path dir = tmp.resolve("adapter");
        PeftAdapter.of(config, weights).write(dir);

        Adapters.apply(model, dir);
        List<LoraFactors> scaled = factors.stream()
                .map(f -> new LoraFactors(f.module(), f.r(), f.in(), f.out(), f.a(), f.b(), 4.0)).toList();
        assertClose(model.logits(IDS), referenceWith(scaled).logits(IDS), 2e-4);
        assertThat(model.trainableParameters()).isEmpty();
    }

    @Test
    void perModuleAlphaPatternsScaleEachModuleOnItsOwn() throws Exception {
        CausalLm model = CausalLm.load(qwen, ComputeDevice.cpu());
        List<LoraFactors> factors = randomFactors(model, 2, 1.0, 13, "q_proj", "v_proj");
        LoraConfig config = new LoraConfig(2, 8.0, false, List.of("q_proj", "v_proj"), 0.0, qwen.toString(), false,
                java.util.Map.of(), java.util.Map.of("v_proj", 2.0));
        Path dir = tmp.resolve("adapter-alpha-pattern");
        PeftAdapter.of(config, factors.stream().map(f -> new LoraWeights(f.module(), f.r(), f.in(), f.out(), f.a(), f.b())).toList())
                .write(dir);

        Adapters.apply(model, dir);
        List<LoraFactors> scaled = factors.stream()
                .map(f -> new LoraFactors(f.module(), f.r(), f.in(), f.out(), f.a(), f.b(), f.module().endsWith("v_proj") ? 1.0 : 4.0))
                .toList();
        assertClose(model.logits(IDS), referenceWith(scaled).logits(IDS), 2e-4);
    }

    @Test
    void freshTrainableLoraStartsAtTheBaseModelAndOnlyLoraGetsGradients() {
        CausalLm model = CausalLm.load(qwen, ComputeDevice.cpu());
        float[][] base = model.logits(IDS);
        List<String> targets = model.addTrainableLora(new LoraSpec(4, 8, false, List.of("q_proj", "v_proj"), 0.0, 7));
        assertThat(targets).containsExactly("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj");
        assertClose(model.logits(IDS), base, 1e-6);

        List<Tensor> params = model.trainableParameters();
        assertThat(params).hasSize(8).allSatisfy(p -> assertThat(p.requires_grad()).isTrue());
        model.train();
        try (PointerScope scope = new PointerScope()) {
            Tensor logits = model.forward(Tensors.fromLongs(IDS, 1, IDS.length), null);
            assertThat(logits.requires_grad()).isTrue();
            logits.pow(new Scalar(2)).mean().backward();
            // With B = 0 the gradient reaches B only; A's gradient is B^T(...) = 0.
            for (int i = 0; i < params.size(); i += 2) {
                Tensor gradA = params.get(i).grad();
                Tensor gradB = params.get(i + 1).grad();
                assertThat(gradB.abs().sum().item_float()).isGreaterThan(0f);
                assertThat(gradA.defined() ? gradA.abs().sum().item_float() : 0f).isZero();
            }
        }
        // A step on B moves the logits.
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            params.get(1).add_(params.get(1).grad().mul(new Scalar(-10.0)));
        }
        model.eval();
        assertThat(Math.abs(model.logits(IDS)[2][5] - base[2][5])).isGreaterThan(1e-4f);
    }

    @Test
    void paddedBatchTrainsWithFiniteGradientsAndPaddingDoesNotLeakIntoTheLoss() {
        CausalLm model = CausalLm.load(qwen, ComputeDevice.cpu());
        model.addTrainableLora(new LoraSpec(4, 8, false, List.of("q_proj", "v_proj", "down_proj"), 0.0, 9));
        model.loadLora(randomFactors(model, 4, 2.0, 15, "q_proj", "v_proj", "down_proj"), 0.0, true);
        model.train();
        long[][] ids = {{1, 10, 20, 30, 40, 50}, {1, 60, 70, 3, 3, 3}};
        long[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 0, 0, 0}};
        long[][] labels = {{-100, 10, 20, 30, 40, 50}, {-100, 60, 70, -100, -100, -100}};
        float lossWithPad;
        try (PointerScope scope = new PointerScope()) {
            Tensor logits = model.forward(Tensors.fromLongs(ids), Tensors.fromLongs(mask));
            Tensor loss = CausalLmLoss.shiftedCrossEntropy(logits, Tensors.fromLongs(labels));
            loss.backward();
            lossWithPad = loss.item_float();
            for (Tensor p : model.trainableParameters()) {
                float norm = p.grad().pow(new Scalar(2)).sum().item_float();
                assertThat(Float.isFinite(norm)).isTrue();
            }
            assertThat(model.trainableParameters().get(1).grad().abs().sum().item_float()).isGreaterThan(0f);
        }
        // Different pad ids under the mask give the same loss.
        ids[1][3] = 200;
        ids[1][4] = 201;
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            Tensor logits = model.forward(Tensors.fromLongs(ids), Tensors.fromLongs(mask));
            assertThat(CausalLmLoss.shiftedCrossEntropy(logits, Tensors.fromLongs(labels)).item_float())
                    .isCloseTo(lossWithPad, org.assertj.core.api.Assertions.within(1e-5f));
        }
    }

    @Test
    void initialisationIsSeededAndBoundedLikePeft() {
        CausalLm a = CausalLm.load(qwen, ComputeDevice.cpu());
        CausalLm b = CausalLm.load(qwen, ComputeDevice.cpu());
        CausalLm c = CausalLm.load(qwen, ComputeDevice.cpu());
        LoraSpec spec = new LoraSpec(3, 6, true, List.of("up_proj"), 0.0, 42);
        a.addTrainableLora(spec);
        b.addTrainableLora(spec);
        c.addTrainableLora(new LoraSpec(3, 6, true, List.of("up_proj"), 0.0, 43));
        LoraFactors fa = a.exportLora().get(0);
        assertThat(fa.a()).isEqualTo(b.exportLora().get(0).a()).isNotEqualTo(c.exportLora().get(0).a());
        assertThat(fa.b()).containsOnly(0f);
        assertThat(fa.scale()).isEqualTo(6 / Math.sqrt(3));
        double bound = 1 / Math.sqrt(fa.in());
        for (float v : fa.a()) {
            assertThat((double) Math.abs(v)).isLessThanOrEqualTo(bound);
        }
    }

    @Test
    void exportedAdapterReloadsToTheSameLogits() throws Exception {
        CausalLm model = CausalLm.load(qwen, ComputeDevice.cpu());
        model.loadLora(randomFactors(model, 2, 2.0, 13, "o_proj", "up_proj"), 0.0, true);
        LoraConfig config = new LoraConfig(2, 4.0, false, List.of("o_proj", "up_proj"), 0.0, null, false);
        Path dir = tmp.resolve("exported");
        Adapters.export(model, config).write(dir);

        CausalLm fresh = CausalLm.load(qwen, ComputeDevice.cpu());
        Adapters.apply(fresh, dir);
        assertClose(fresh.logits(IDS), model.logits(IDS), 1e-5);
    }

    @Test
    void dropoutActsOnlyInTrainingModeAndFollowsTheSeed() {
        CausalLm model = CausalLm.load(qwen, ComputeDevice.cpu());
        model.loadLora(randomFactors(model, 4, 2.0, 14, "q_proj", "up_proj"), 0.5, true);
        float[][] eval1 = model.logits(IDS);
        model.train();
        CausalLm.seed(3);
        float[][] train1 = model.logits(IDS);
        CausalLm.seed(3);
        float[][] train2 = model.logits(IDS);
        model.eval();
        assertClose(model.logits(IDS), eval1, 0);
        assertClose(train2, train1, 0);
        assertThat(Math.abs(train1[4][9] - eval1[4][9])).isGreaterThan(1e-5f);
    }

    @Test
    void targetsAndAdaptersThatDoNotFitAreRefusedByName() {
        CausalLm model = CausalLm.load(qwen, ComputeDevice.cpu());
        assertThatThrownBy(() -> model.addTrainableLora(new LoraSpec(2, 4, false, List.of("c_attn"), 0, 1)))
                .hasMessageContaining("c_attn").hasMessageContaining("match no linear module");
        // one target without tensors would still be listed in target_modules: refused too
        assertThatThrownBy(() -> model.addTrainableLora(new LoraSpec(2, 4, false, List.of("q_proj", "lm_head"), 0, 1)))
                .hasMessage("LoRA target module lm_head matches no linear module of this " + model.config().architecture().hfName());
        LoraFactors foreign = new LoraFactors("model.layers.9.self_attn.q_proj", 1, 64, 64, new float[64], new float[64], 1);
        assertThatThrownBy(() -> model.loadLora(List.of(foreign), 0, false))
                .hasMessageContaining("model.layers.9.self_attn.q_proj");
        LoraFactors wrongShape = new LoraFactors("model.layers.0.self_attn.k_proj", 1, 64, 64, new float[64], new float[64], 1);
        assertThatThrownBy(() -> model.loadLora(List.of(wrongShape), 0, false))
                .hasMessageContaining("k_proj").hasMessageContaining("32x64");
    }
}
