package dev.safelora.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Bulk conversion between little-endian F32/F16/BF16 bytes and float arrays. */
public final class Floats {
    private Floats() {
    }

    /** Decodes {@code count} elements from {@code src} into {@code out} starting at {@code index}; returns the next index. */
    static int decode(DType dtype, ByteBuffer src, int count, float[] out, int index) {
        return decode(dtype, src, count, out, index, null);
    }

    /**
     * As {@link #decode(DType, ByteBuffer, int, float[], int)}; with a {@code scratch} of at least
     * {@code count} shorts, BF16 is copied in bulk and widened in a loop the JIT can vectorise
     * (BF16 is the upper half of an F32: a 16-bit shift).
     */
    static int decode(DType dtype, ByteBuffer src, int count, float[] out, int index, short[] scratch) {
        ByteBuffer le = src.order(ByteOrder.LITTLE_ENDIAN);
        if (dtype == DType.BF16 && scratch != null && scratch.length >= count) {
            le.asShortBuffer().get(scratch, 0, count);
            le.position(le.position() + count * 2);
            for (int i = 0; i < count; i++) {
                out[index + i] = Float.intBitsToFloat(scratch[i] << 16);
            }
            return index + count;
        }
        switch (dtype) {
            case F32 -> {
                le.asFloatBuffer().get(out, index, count);
                le.position(le.position() + count * 4);
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out[index + i] = HalfFloats.bf16ToFloat(le.getShort());
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[index + i] = HalfFloats.f16ToFloat(le.getShort());
                }
            }
            default -> throw new IllegalArgumentException("dtype " + dtype + " is not a float type");
        }
        return index + count;
    }

    /** Encodes floats as little-endian bytes of {@code dtype} (F32, F16 or BF16; round-to-nearest-even). */
    public static ByteBuffer encode(float[] data, DType dtype) {
        ByteBuffer out = ByteBuffer.allocate(Math.multiplyExact(data.length, dtype.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        encode(data, 0, data.length, dtype, out);
        out.clear();
        return out;
    }

    /**
     * Encodes {@code data[from, from + count)} as little-endian {@code dtype} into {@code out} at its position (which
     * advances), as {@link #encode(float[], DType)} does; for a caller that reuses one (direct) buffer per chunk.
     */
    public static void encode(float[] data, int from, int count, DType dtype, ByteBuffer out) {
        ByteBuffer le = out.order() == ByteOrder.LITTLE_ENDIAN ? out : out.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int to = from + count;
        switch (dtype) {
            case F32 -> {
                le.asFloatBuffer().put(data, from, count);
                le.position(le.position() + 4 * count);
            }
            case BF16 -> {
                for (int i = from; i < to; i++) {
                    le.putShort(HalfFloats.floatToBf16(data[i]));
                }
            }
            case F16 -> {
                for (int i = from; i < to; i++) {
                    le.putShort(HalfFloats.floatToF16(data[i]));
                }
            }
            default -> throw new IllegalArgumentException("floats can be stored as F32, F16 or BF16, not " + dtype);
        }
        if (le != out) {
            out.position(le.position());
        }
    }

    /**
     * Columns {@code from..to} of a row-major {@code rows x cols} matrix as rows of its transpose: {@code out} gets
     * {@code (to - from) x rows} values from index 0 ({@code out[(j - from) * rows + i] = src[i * cols + j]}). Eight
     * source rows at a time, column by column: each output row gets eight contiguous values per step, and the eight
     * source lines stay in the first-level cache across the columns. (Row by row, one value per output row per step, a
     * 4096 x 4096 matrix in blocks of 64 columns took 120 ms: the 64 output lines, 16 KiB apart, share one set of the
     * cache and evicted each other; eight rows at a time, 14 ms.)
     */
    public static void transposeColumns(float[] src, int rows, int cols, int from, int to, float[] out) {
        int width = to - from;
        if (from < 0 || to > cols || width < 0 || (long) rows * cols > src.length || (long) width * rows > out.length) {
            throw new IllegalArgumentException("columns " + from + ".." + to + " of a " + rows + " x " + cols + " matrix do not fit");
        }
        int i0 = 0;
        for (; i0 + 8 <= rows; i0 += 8) {
            for (int j = from; j < to; j++) {
                int o = (j - from) * rows + i0;
                int x = i0 * cols + j;
                out[o] = src[x];
                out[o + 1] = src[x + cols];
                out[o + 2] = src[x + 2 * cols];
                out[o + 3] = src[x + 3 * cols];
                out[o + 4] = src[x + 4 * cols];
                out[o + 5] = src[x + 5 * cols];
                out[o + 6] = src[x + 6 * cols];
                out[o + 7] = src[x + 7 * cols];
            }
        }
        for (; i0 < rows; i0++) {
            for (int j = from; j < to; j++) {
                out[(j - from) * rows + i0] = src[i0 * cols + j];
            }
        }
    }

    /** Decodes a whole little-endian buffer of F32/F16/BF16 into a new float array. */
    public static float[] decode(DType dtype, ByteBuffer src) {
        ByteBuffer view = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int count = view.remaining() / dtype.byteSize();
        float[] out = new float[count];
        decode(dtype, view, count, out, 0);
        return out;
    }
}
