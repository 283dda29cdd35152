package dev.safelora.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Device parsing, the start-up check, and how device failures are told from bad input. */
class ComputeDeviceTest {

    @Test
    void cudaWithoutAUsableGpuIsADeviceFailureNamingTheCauseAndTheVersionsOnOneLine() {
        assumeTrue(CudaEnvironment.probe().deviceCount() == 0, "this machine has a GPU");
        assertThatThrownBy(() -> ComputeDevice.requireWorking("cuda:0"))
                .isInstanceOf(DeviceFailure.class)
                .hasMessageContaining("no CUDA device is usable")
                .hasMessageContaining("NVIDIA driver")
                .hasMessageContaining("CUDA runtime " + CudaEnvironment.BUNDLED_RUNTIME)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void anUnknownDeviceIsBadConfigurationNotADeviceFailure() {
        assertThatThrownBy(() -> ComputeDevice.parse("tpu")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected cpu, cuda or cuda:N");
    }

    @Test
    void theCpuPassesTheStartUpCheck() {
        ComputeDevice cpu = ComputeDevice.requireWorking("cpu");
        assertThat(cpu.cuda()).isFalse();
        cpu.releaseCachedMemory(); // a no-op on the CPU
    }

    @Test
    void driverVersionsAreReadFromBothKernelModuleFlavours() {
        assertThat(CudaEnvironment.parseDriverVersion("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19"
                + " 01:15:15 UTC 2023\nGCC version:  gcc version 12.2.0")).contains("535.104.05");
        assertThat(CudaEnvironment.parseDriverVersion("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06"
                + "  Release Build  (dvs-builder@U16-I3-B03-4-3)")).contains("580.65.06");
        assertThat(CudaEnvironment.parseDriverVersion("something else")).isEmpty();
    }

    @Test
    void theLikelyCauseFollowsWhatTheNodeOffers() {
        assertThat(new CudaEnvironment(Optional.of("535.104.05"), true, 0).likelyCause())
                .contains("older than the CUDA 13.1 runtime");
        assertThat(new CudaEnvironment(Optional.empty(), true, 0).likelyCause()).contains("no NVIDIA driver is visible");
        assertThat(new CudaEnvironment(Optional.of("580.65.06"), false, 0).likelyCause()).contains("CPU-only libtorch");
        assertThat(new CudaEnvironment(Optional.of("580.65.06"), true, 0).versions())
                .isEqualTo("NVIDIA driver 580.65.06, CUDA runtime 13.1 bundled (needs driver >= 580)");
    }

    @Test
    void libtorchErrorsFromTheDeviceAreDeviceFailuresAndOthersAreNot() {
        assertThat(DeviceFailure.isDeviceFailure(new RuntimeException("CUDA out of memory. Tried to allocate 2.00 GiB"))).isTrue();
        assertThat(DeviceFailure.isDeviceFailure(new IllegalStateException("step failed",
                new RuntimeException("CUDA error: device-side assert triggered")))).isTrue();
        assertThat(DeviceFailure.isDeviceFailure(new RuntimeException("CUBLAS_STATUS_EXECUTION_FAILED when calling cublasGemmEx"))).isTrue();
        assertThat(DeviceFailure.isDeviceFailure(new IllegalArgumentException("token id 500 is outside the vocabulary"))).isFalse();
        assertThat(DeviceFailure.isDeviceFailure(new RuntimeException("shape '[2, 3]' is invalid for input of size 5"))).isFalse();
    }
}
