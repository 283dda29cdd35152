package dev.safelora.model;

import org.bytedeco.pytorch.Device;
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

    /** Parses {@code cpu}, {@code cuda} or {@code cuda:N}; CUDA must be present. */
    public static ComputeDevice parse(String spec) {
        String s = spec == null ? "cpu" : spec.strip().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) {
            return new ComputeDevice("cpu", false, -1, Precision.FP32);
        }
        if (!s.equals("cuda") && !s.matches("cuda:\\d+")) {
            throw new IllegalArgumentException("unknown device '" + spec + "' (expected cpu, cuda or cuda:N)");
        }
        int index = s.equals("cuda") ? 0 : Integer.parseInt(s.substring(5));
        if (!torch.cuda_is_available()) {
            throw new IllegalStateException("device '" + spec + "' requested but CUDA is not available"
                    + " (no GPU found, or this build carries the CPU-only libtorch; build with -Pgpu)");
        }
        int count = torch.cuda_device_count();
        if (index >= count) {
            throw new IllegalStateException("device '" + spec + "' requested but only " + count + " CUDA device(s) exist");
        }
        return new ComputeDevice("cuda:" + index, true, index, Precision.BF16);
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
