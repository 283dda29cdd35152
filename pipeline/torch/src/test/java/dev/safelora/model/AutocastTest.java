package dev.safelora.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The precision setting, and nothing else, turns libtorch's autocast on - here on the CPU, as on CUDA. */
class AutocastTest {

    private static final torch.DeviceType CPU = torch.DeviceType.CPU;
    private static final ComputeDevice CPU_BF16 = ComputeDevice.cpu().withPrecision(ComputeDevice.Precision.BF16);

    private static int linearType() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = Tensors.fromFloats(new float[] {1, 2, 3, 4}, 2, 2);
            return torch.linear(x, x).scalar_type().value;
        }
    }

    @Test
    void bf16PrecisionRunsLinearsInBf16InsideTheRegionAndRestoresTheStateAfter() {
        assertThat(torch.is_autocast_enabled(CPU)).isFalse();
        try (Autocast autocast = Autocast.enter(CPU_BF16)) {
            assertThat(autocast.active()).isTrue();
            assertThat(torch.is_autocast_enabled(CPU)).isTrue();
            assertThat(torch.get_autocast_dtype(CPU).value).isEqualTo(torch.ScalarType.BFloat16.value);
            assertThat(linearType()).isEqualTo(torch.ScalarType.BFloat16.value); // fp32 inputs, bf16 matmul
        }
        assertThat(torch.is_autocast_enabled(CPU)).isFalse();
        assertThat(linearType()).isEqualTo(torch.ScalarType.Float.value);
    }

    @Test
    void fp32PrecisionLeavesAutocastOff() {
        try (Autocast autocast = Autocast.enter(ComputeDevice.cpu())) {
            assertThat(autocast.active()).isFalse();
            assertThat(torch.is_autocast_enabled(CPU)).isFalse();
            assertThat(linearType()).isEqualTo(torch.ScalarType.Float.value);
        }
    }

    @Test
    void aBf16ModelsLoraBranchRunsInBf16InTrainingAndEvaluationAlikeAndLeavesAutocastOff(@TempDir Path tmp) {
        Path dir = tmp.resolve("m");
        TinyModels.write(dir, TinyModels.Shape.llama(), 5);
        long[] ids = {1, 20, 30, 40, 50};
        try (CausalLm model = CausalLm.load(dir, CPU_BF16)) {
            model.loadLora(LoraTest.randomFactors(model, 2, 1.0, 4, "q_proj", "v_proj"), 0.0, true);
            model.train();
            float[][] training = model.logits(ids);
            model.eval();
            float[][] evaluation = model.logits(ids);
            // One precision for both modes (dropout 0): the same numbers, bit for bit.
            assertThat(training).isDeepEqualTo(evaluation);
            assertThat(torch.is_autocast_enabled(CPU)).isFalse();
        }
    }
}
