package dev.safelora.model;

import java.util.Arrays;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Reads named weights with their expected shapes, converting to the device's compute precision. */
final class WeightLoader {

    private final WeightSource source;
    private final Device device;
    private final torch.ScalarType type;

    WeightLoader(WeightSource source, ComputeDevice device) {
        this.source = source;
        this.device = device.torchDevice();
        this.type = device.computeType();
    }

    Tensor load(String name, long... expectedShape) {
        if (!source.contains(name)) {
            throw new IllegalArgumentException(source.describe() + " is missing tensor '" + name + "'");
        }
        long[] shape = source.shape(name);
        if (!Arrays.equals(shape, expectedShape)) {
            throw new IllegalArgumentException("tensor '" + name + "' in " + source.describe() + " has shape "
                    + Arrays.toString(shape) + " but config.json implies " + Arrays.toString(expectedShape));
        }
        String dtype = source.dtype(name);
        if (!dtype.equals("F32") && !dtype.equals("BF16") && !dtype.equals("F16")) {
            throw new IllegalArgumentException("tensor '" + name + "' in " + source.describe() + " has dtype " + dtype
                    + "; weights must be F32, BF16 or F16");
        }
        java.nio.ByteBuffer bytes = source.bytes(name);
        dev.safelora.tensor.NonFinite.require(source.describe(), name,
                dev.safelora.tensor.NonFinite.firstIndex(bytes, dev.safelora.tensor.DType.fromSafetensors(dtype)));
        return Tensors.fromBytes(bytes, dtype, shape, device, type);
    }

    LoraLinear linear(String module, long out, long in, boolean bias) {
        Tensor weight = load(module + ".weight", out, in);
        Tensor b = bias ? load(module + ".bias", out) : null;
        return new LoraLinear(module, weight, b);
    }
}
