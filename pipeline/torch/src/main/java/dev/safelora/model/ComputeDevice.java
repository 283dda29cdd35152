package dev.safelora.model;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Where the model runs and in which precision: fp32 on the CPU (bf16 is several times slower
 * there), bf16 on CUDA; {@link #withPrecision} overrides that (e.g. to exercise the bf16 path on
 * a CPU-only machine, or to debug in fp32 on a GPU).
 */
public record ComputeDevice(String spec, boolean cuda, int index, Precision precision) {

    /** Precision of frozen weights and activations; LoRA factors are always fp32. */
    public enum Precision {
        FP32(torch.ScalarType.Float),
        BF16(torch.ScalarType.BFloat16);

        private final torch.ScalarType type;

        Precision(torch.ScalarType type) {
            this.type = type;
        }

        public torch.ScalarType scalarType() {
            return type;
        }
    }

    /**
     * Parses {@code cpu}, {@code cuda} or {@code cuda:N}; an unknown spec is an {@link IllegalArgumentException}, a
     * CUDA device that is not there a {@link DeviceFailure} naming the likely cause and the driver and runtime versions.
     */
    public static ComputeDevice parse(String spec) {
        String s = spec == null ? "cpu" : spec.strip().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) {
            return new ComputeDevice("cpu", false, -1, Precision.FP32);
        }
        if (!s.equals("cuda") && !s.matches("cuda:\\d+")) {
            throw new IllegalArgumentException("unknown device '" + spec + "' (expected cpu, cuda or cuda:N)");
        }
        int index = s.equals("cuda") ? 0 : Integer.parseInt(s.substring(5));
        CudaEnvironment env = CudaEnvironment.probe();
        if (env.deviceCount() == 0) {
            throw new DeviceFailure("device '" + spec + "' requested but no CUDA device is usable: " + env.likelyCause()
                    + " [" + env.versions() + "]");
        }
        if (index >= env.deviceCount()) {
            throw new DeviceFailure("device '" + spec + "' requested but only " + env.deviceCount() + " CUDA device(s) exist ["
                    + env.versions() + "]");
        }
        return new ComputeDevice("cuda:" + index, true, index, Precision.BF16);
    }

    /**
     * Parses {@code spec} and proves the device computes: one tiny tensor op on it, its result read back. What a
     * stage configured for CUDA runs once at start-up, so that a node without a working GPU refuses to start
     * (one line naming driver and runtime) instead of failing every job it takes.
     */
    public static ComputeDevice requireWorking(String spec) {
        ComputeDevice device = parse(spec);
        try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
            TensorOptions options = new TensorOptions(torch.ScalarType.Float)
                    .device(new org.bytedeco.pytorch.DeviceOptional(device.torchDevice()));
            double sum = torch.ones(new long[] {4}, options).mul(new org.bytedeco.pytorch.Scalar(2.0)).sum().item_double();
            if (sum != 8.0) {
                throw new DeviceFailure("device " + device + " computed 2 * ones(4).sum() = " + sum + ", expected 8");
            }
        } catch (DeviceFailure e) {
            throw e;
        } catch (RuntimeException e) {
            String first = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new DeviceFailure("device " + device + " failed its start-up check (" + first + ") ["
                    + (device.cuda() ? CudaEnvironment.probe().versions() : "cpu") + "]", e);
        }
        return device;
    }

    /**
     * Hands the CUDA caching allocator's free blocks back to the driver (a no-op on the CPU): between the phases
     * of a job, so that the next phase and other processes on the GPU see the memory the last one freed.
     */
    public void releaseCachedMemory() {
        if (cuda) {
            org.bytedeco.pytorch.global.torch_cuda.getAllocator().emptyCache();
        }
    }

    public static ComputeDevice cpu() {
        return new ComputeDevice("cpu", false, -1, Precision.FP32);
    }

    /** A fresh libtorch device handle (callers own it; it is tiny). */
    public Device torchDevice() {
        return cuda ? new Device(torch.DeviceType.CUDA, (byte) index) : new Device(torch.DeviceType.CPU);
    }

    public ComputeDevice withPrecision(Precision p) {
        return new ComputeDevice(spec, cuda, index, p);
    }

    /** The libtorch type frozen weights and activations use. */
    public torch.ScalarType computeType() {
        return precision.scalarType();
    }

    @Override
    public String toString() {
        return spec + " (" + precision.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
}
