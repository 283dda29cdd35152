package dev.safelora.model;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** Small bridges between Java arrays/buffers and libtorch tensors. */
public final class Tensors {

    private Tensors() {
    }

    /**
     * Builds an owned tensor of {@code type} on {@code device} from raw safetensors bytes.
     * {@code from_blob} wraps the (possibly read-only, memory-mapped) buffer without copying; the
     * conversion or {@code clone} then copies once, so the result never points into the mapping
     * and stays valid after the file is closed.
     */
    public static Tensor fromBytes(ByteBuffer data, String safetensorsDtype, long[] shape,
                                   Device device, torch.ScalarType type) {
        torch.ScalarType source = scalarType(safetensorsDtype);
        if (!data.isDirect()) {
            ByteBuffer direct = ByteBuffer.allocateDirect(data.remaining());
            direct.put(data.duplicate()).flip();
            data = direct;
        }
        try (PointerScope scope = new PointerScope()) {
            BytePointer pointer = new BytePointer(data);
            Tensor view = torch.from_blob(pointer, shape, new TensorOptions(source));
            Tensor owned = view.to(device, type, false, true, new org.bytedeco.pytorch.MemoryFormatOptional());
            return keep(owned);
        }
    }

    /** A CPU fp32 tensor holding a copy of {@code data} with {@code shape}. */
    public static Tensor fromFloats(float[] data, long... shape) {
        if (Arrays.stream(shape).reduce(1, (a, b) -> a * b) != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + data.length + " values");
        }
        Tensor t = torch.empty(shape, new TensorOptions(torch.ScalarType.Float), new org.bytedeco.pytorch.MemoryFormatOptional());
        t.data_ptr_float().put(data);
        return t;
    }

    /** A CPU int64 tensor holding a copy of {@code data} with {@code shape}. */
    public static Tensor fromLongs(long[] data, long... shape) {
        if (Arrays.stream(shape).reduce(1, (a, b) -> a * b) != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + data.length + " values");
        }
        Tensor t = torch.empty(shape, new TensorOptions(torch.ScalarType.Long), new org.bytedeco.pytorch.MemoryFormatOptional());
        t.data_ptr_long().put(data);
        return t;
    }

    /** A [rows, cols] int64 tensor from a rectangular array. */
    public static Tensor fromLongs(long[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        long[] flat = new long[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("ragged rows: row " + i + " has " + rows[i].length + " values, row 0 has " + cols);
            }
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return fromLongs(flat, rows.length, cols);
    }

    /** The values of any floating tensor, widened to float, in row-major order. */
    public static float[] toFloats(Tensor t) {
        try (PointerScope scope = new PointerScope()) {
            Tensor c = t.detach().to(new Device(torch.DeviceType.CPU), torch.ScalarType.Float).contiguous();
            float[] out = new float[(int) c.numel()];
            c.data_ptr_float().get(out);
            return out;
        }
    }

    public static long[] shape(Tensor t) {
        return t.sizes().vec().get();
    }

    /**
     * Lets {@code t} outlive the innermost {@link PointerScope} it was made in (weights, LoRA
     * parameters, KV caches): the scope's close then drops one of two references, and the
     * garbage collector or {@code close()} frees the tensor later. ({@code PointerScope.detach}
     * would not do: it releases the reference, freeing the tensor at once.)
     */
    public static Tensor keep(Tensor t) {
        if (PointerScope.getInnerScope() != null) {
            t.retainReference();
        }
        return t;
    }

    static torch.ScalarType scalarType(String safetensorsDtype) {
        return switch (safetensorsDtype) {
            case "F32" -> torch.ScalarType.Float;
            case "F16" -> torch.ScalarType.Half;
            case "BF16" -> torch.ScalarType.BFloat16;
            case "F64" -> torch.ScalarType.Double;
            default -> throw new IllegalArgumentException("dtype " + safetensorsDtype + " is not a floating point weight type");
        };
    }
}
