package dev.safelora.training;

import dev.safelora.model.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/** Copies float arrays into existing (persistent) fp32 tensors, on any device. */
final class TorchArrays {

    private TorchArrays() {
    }

    static void copyInto(Tensor target, float[] values) {
        if (target.numel() != values.length) {
            throw new IllegalArgumentException("checkpoint tensor holds " + values.length + " values, the model's "
                    + target.numel());
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            target.copy_(Tensors.fromFloats(values, Tensors.shape(target)));
        }
    }
}
