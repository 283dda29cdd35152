package dev.safelora.devicecheck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safelora.model.ComputeDevice;
import dev.safelora.model.TinyModels;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gpu-check comparison, exercised without a GPU: fp32 on the CPU as the reference and bf16 on the CPU as the
 * candidate stand in for the CPU and the GPU.
 */
class GpuCheckTest {

    @TempDir
    static Path tmp;
    static Path dir;

    @BeforeAll
    static void model() {
        dir = tmp.resolve("m");
        TinyModels.write(dir, TinyModels.Shape.llama(), 3);
    }

    private static final ComputeDevice CPU_BF16 = ComputeDevice.cpu().withPrecision(ComputeDevice.Precision.BF16);

    @Test
    void bf16AgainstFp32PassesTheBf16TolerancesDeterministicallyButNotTheSamePrecisionOnes() {
        StepOutcome ref = GpuCheck.run(dir, ComputeDevice.cpu());
        StepOutcome first = GpuCheck.run(dir, CPU_BF16);
        StepOutcome second = GpuCheck.run(dir, CPU_BF16);
        assertThat(second.factors()).isEqualTo(first.factors());
        GpuCheck.Verdict verdict = GpuCheck.compare(ref, second, true, GpuCheck.Tolerances.bf16());
        assertThat(verdict.mismatches()).isEmpty();
        assertThat(verdict.lossRelative()).as("bf16 really ran").isGreaterThan(0);
        assertThat(second.greedyTokens()).hasSize(GpuCheck.NEW_TOKENS);
        assertThat(second.initial()).isEqualTo(ref.initial());
        // The same numbers fail the tolerances of a same-precision comparison: the check can tell them apart.
        assertThat(GpuCheck.compare(ref, second, true, GpuCheck.Tolerances.samePrecision()).passed()).isFalse();
        // fp32 against itself passes even those.
        assertThat(GpuCheck.compare(ref, GpuCheck.run(dir, ComputeDevice.cpu()), true, GpuCheck.Tolerances.samePrecision())
                .mismatches()).isEmpty();
    }

    @Test
    void everyViolatedToleranceIsOneMismatchLine() {
        float[] init = {0f, 0f, 0f, 0f};
        StepOutcome ref = new StepOutcome(2.0, 1.0, new float[] {0.01f, -0.01f, 0.01f, -0.01f}, init,
                new long[] {5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, 1, 1);
        StepOutcome bad = new StepOutcome(2.2, 1.2, new float[] {-0.01f, 0.01f, 0.01f, -0.01f}, init,
                new long[] {5, 6, 7, 1, 9, 10, 11, 12, 13, 14}, 1, 1);
        GpuCheck.Verdict verdict = GpuCheck.compare(ref, bad, false, GpuCheck.Tolerances.bf16());
        assertThat(verdict.lossRelative()).isCloseTo(0.1, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(verdict.updateRelative()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(verdict.greedyPrefix()).isEqualTo(3);
        assertThat(verdict.mismatches()).hasSize(5);
        assertThat(verdict.mismatches().get(0)).startsWith("loss 2.200000 vs reference 2.000000: 10.00% apart");
        assertThat(verdict.mismatches()).anySatisfy(m -> assertThat(m).startsWith("greedy tokens agree on the first 3 of 10"));
        assertThat(verdict.mismatches()).anySatisfy(m -> assertThat(m).contains("non-deterministic"));
    }
}
