package dev.safelora.training;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** Copies between float arrays and existing (persistent) fp32 tensors, on any device. */
final class TorchArrays {

    private TorchArrays() {
    }

    static float[] floats(Tensor t) {
        try (PointerScope scope = new PointerScope()) {
            Tensor c = t.detach().to(new Device(torch.DeviceType.CPU), torch.ScalarType.Float).contiguous();
            float[] out = new float[(int) c.numel()];
            c.data_ptr_float().get(out);
            return out;
        }
    }

    static void copyInto(Tensor target, float[] values) {
        if (target.numel() != values.length) {
            throw new IllegalArgumentException("checkpoint tensor holds " + values.length + " values, the model's "
                    + target.numel());
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Tensor source = torch.empty(new long[] {values.length}, new TensorOptions(torch.ScalarType.Float),
                    new org.bytedeco.pytorch.MemoryFormatOptional());
            source.data_ptr_float().put(values);
            target.copy_(source.view(target.sizes().vec().get()));
        }
    }
}
