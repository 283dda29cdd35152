package dev.safelora.model;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * Where the model runs and in which precision: fp32 on the CPU (bf16 is several times slower
 * there), bf16 on CUDA.
 */
public record ComputeDevice(String spec, boolean cuda, int index) {

    /** Parses {@code cpu}, {@code cuda} or {@code cuda:N}; CUDA must be present. */
    public static ComputeDevice parse(String spec) {
        String s = spec == null ? "cpu" : spec.strip().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) {
            return new ComputeDevice("cpu", false, -1);
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
        return new ComputeDevice("cuda:" + index, true, index);
    }

    public static ComputeDevice cpu() {
        return new ComputeDevice("cpu", false, -1);
    }

    /** A fresh libtorch device handle (callers own it; it is tiny). */
    public Device torchDevice() {
        return cuda ? new Device(torch.DeviceType.CUDA, (byte) index) : new Device(torch.DeviceType.CPU);
    }

    /** The precision frozen weights and activations use on this device. */
    public torch.ScalarType computeType() {
        return cuda ? torch.ScalarType.BFloat16 : torch.ScalarType.Float;
    }

    @Override
    public String toString() {
        return spec;
    }
}
