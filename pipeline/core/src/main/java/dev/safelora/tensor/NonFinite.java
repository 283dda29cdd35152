package dev.safelora.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Finds NaN and infinities in weights before anything is computed from them: a NaN in a LoRA factor makes every
 * cosine NaN (and a NaN compares false with any threshold, so the module would silently stay unprojected), and a
 * NaN in a checkpoint makes every logit NaN while the command still exits 0.
 */
public final class NonFinite {

    private NonFinite() {}

    /** The index of the first NaN or infinity in {@code values}, or -1. */
    public static int firstIndex(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The element index of the first NaN or infinity in little-endian safetensors bytes of a floating-point
     * {@code dtype}, or -1 (integer dtypes have none). Reads the bit patterns: an all-ones exponent is NaN or Inf.
     */
    public static long firstIndex(ByteBuffer data, DType dtype) {
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int start = b.position();
        switch (dtype.safetensorsName()) {
            case "F32" -> {
                for (int i = start; i + 4 <= b.limit(); i += 4) {
                    if ((b.getInt(i) & 0x7f800000) == 0x7f800000) {
                        return (i - start) / 4;
                    }
                }
            }
            case "F16" -> {
                for (int i = start; i + 2 <= b.limit(); i += 2) {
                    if ((b.getShort(i) & 0x7c00) == 0x7c00) {
                        return (i - start) / 2;
                    }
                }
            }
            case "BF16" -> {
                for (int i = start; i + 2 <= b.limit(); i += 2) {
                    if ((b.getShort(i) & 0x7f80) == 0x7f80) {
                        return (i - start) / 2;
                    }
                }
            }
            case "F64" -> {
                for (int i = start; i + 8 <= b.limit(); i += 8) {
                    if ((b.getLong(i) & 0x7ff0000000000000L) == 0x7ff0000000000000L) {
                        return (i - start) / 8;
                    }
                }
            }
            default -> {
                return -1;
            }
        }
        return -1;
    }

    /** An IllegalArgumentException naming the tensor and where its first non-finite value is, when there is one. */
    public static void require(String where, String tensor, long index) {
        if (index >= 0) {
            throw new IllegalArgumentException(where + ": tensor \"" + tensor + "\" holds NaN or infinity (first at element "
                    + index + "); non-finite weights are refused");
        }
    }
}
