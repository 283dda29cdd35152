package dev.safelora.model;

import org.bytedeco.pytorch.global.torch;

/**
 * libtorch's autocast, driven by the {@link ComputeDevice}'s precision and nothing else: with BF16 the region
 * runs matmuls (linear, attention) in bf16 on whichever device the model is on, CPU included; with FP32 it is a
 * no-op. {@link CausalLm#forward} enters it, so training, held-out loss and generation share one precision.
 * The cast cache stays off: frozen weights are already in the compute type, and cached casts of the
 * (small) LoRA factors would outlive the step's pointer scope. Closing restores what was set before.
 */
public final class Autocast implements AutoCloseable {

    private final torch.DeviceType type;
    private final boolean wasEnabled;
    private final torch.ScalarType previousType;
    private final boolean previousCache;

    private Autocast(torch.DeviceType type) {
        this.type = type;
        if (type == null) {
            wasEnabled = false;
            previousType = null;
            previousCache = false;
            return;
        }
        wasEnabled = torch.is_autocast_enabled(type);
        previousType = torch.get_autocast_dtype(type);
        previousCache = torch.is_autocast_cache_enabled();
        torch.set_autocast_cache_enabled(false);
        torch.set_autocast_dtype(type, torch.ScalarType.BFloat16);
        torch.set_autocast_enabled(type, true);
    }

    /** Enters autocast for {@code device}'s precision (nothing to do for FP32). */
    public static Autocast enter(ComputeDevice device) {
        if (device.precision() == ComputeDevice.Precision.FP32) {
            return new Autocast(null);
        }
        return new Autocast(device.cuda() ? torch.DeviceType.CUDA : torch.DeviceType.CPU);
    }

    /** Whether this region turned autocast on. */
    public boolean active() {
        return type != null;
    }

    @Override
    public void close() {
        if (type == null) {
            return;
        }
        torch.set_autocast_enabled(type, wasEnabled);
        torch.set_autocast_dtype(type, previousType);
        torch.set_autocast_cache_enabled(previousCache);
    }
}
