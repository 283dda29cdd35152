package dev.safelora.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bf16 code path that CUDA uses (fp32 RMSNorm inside bf16 activations, fp32 LoRA factors
 * added to bf16 outputs, fp32 logits), run on the CPU so it is tested on machines without a GPU.
 */
class Bf16PathTest {

    @TempDir
    static Path tmp;

    static Path dir;
    static final ComputeDevice BF16 = ComputeDevice.cpu().withPrecision(ComputeDevice.Precision.BF16);
    static final long[] IDS = {1, 50, 80, 120, 7, 9, 200, 33};

    @BeforeAll
    static void write() {
        dir = tmp.resolve("qwen2");
        TinyModels.write(dir, TinyModels.Shape.qwen2(), 31);
    }

    static double maxAbsDiff(float[][] a, float[][] b) {
        double m = 0;
        for (int t = 0; t < a.length; t++) {
            for (int v = 0; v < a[t].length; v++) {
                m = Math.max(m, Math.abs(a[t][v] - b[t][v]));
            }
        }
        return m;
    }

    static double maxAbs(float[][] a) {
        double m = 0;
        for (float[] row : a) {
            for (float x : row) {
                m = Math.max(m, Math.abs(x));
            }
        }
        return m;
    }

    @Test
    void bf16LogitsStayCloseToFp32() {
        float[][] fp32 = CausalLm.load(dir, ComputeDevice.cpu()).logits(IDS);
        CausalLm model = CausalLm.load(dir, BF16);
        float[][] bf16 = model.logits(IDS);
        // bf16 keeps 8 bits of mantissa: a few percent of the logit range after two layers.
        assertThat(maxAbsDiff(bf16, fp32)).isLessThan(0.05 * maxAbs(fp32)).isGreaterThan(0);
        try (PointerScope scope = new PointerScope()) {
            Tensor logits = model.forward(Tensors.fromLongs(IDS, 1, IDS.length), null);
            assertThat(logits.scalar_type().value).isEqualTo(torch.ScalarType.Float.value);
        }
    }

    @Test
    void loraStaysFp32AndTrainsOnABf16Model() {
        CausalLm model = CausalLm.load(dir, BF16);
        model.addTrainableLora(new LoraSpec(4, 8, false, List.of("q_proj", "down_proj"), 0.1, 3));
        model.train();
        List<Tensor> params = model.trainableParameters();
        try (PointerScope scope = new PointerScope()) {
            Tensor logits = model.forward(Tensors.fromLongs(IDS, 1, IDS.length), null);
            logits.pow(new Scalar(2)).mean().backward();
            for (Tensor p : params) {
                assertThat(p.scalar_type().value).isEqualTo(torch.ScalarType.Float.value);
            }
            assertThat(params.get(1).grad().abs().sum().item_float()).isGreaterThan(0f);
            assertThat(params.get(1).grad().scalar_type().value).isEqualTo(torch.ScalarType.Float.value);
        }
    }

    @Test
    void mergedAdapterOnBf16MatchesOnTheFlyWithinBf16Rounding() {
        CausalLm model = CausalLm.load(dir, BF16);
        model.loadLora(LoraTest.randomFactors(model, 2, 1.0, 4, "v_proj", "up_proj"), 0, false);
        float[][] onTheFly = model.logits(IDS);
        model.mergeLora();
        assertThat(maxAbsDiff(model.logits(IDS), onTheFly)).isLessThan(0.05 * maxAbs(onTheFly));
    }
}
