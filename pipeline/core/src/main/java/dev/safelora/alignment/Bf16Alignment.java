package dev.safelora.alignment;

import dev.safelora.tensor.DType;
import dev.safelora.tensor.HalfFloats;
import dev.safelora.tensor.NonFinite;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One module's alignment matrix V as the bf16 bytes it is stored in (rows x cols, row-major,
 * little endian, from index 0 of {@code bits}), for kernels that read them without a float copy.
 * Its norm comes from the sum of squares those kernels accumulate: {@link #norm} checks it.
 *
 * @param bits   shared (a buffer reused for the next module), treat as read-only
 * @param reader fills rows of {@code bits} on demand (the first pass reads V block by block just before
 *               using it); null when {@code bits} is already filled
 * @param where  the file it is read from, for error messages
 */
public record Bf16Alignment(String module, int rows, int cols, ByteBuffer bits, RowReader reader, String where) {

    /** Reads rows {@code from..to} of V into their place in {@code bits}; called concurrently for disjoint rows. */
    @FunctionalInterface
    public interface RowReader {
        void read(int fromRow, int toRow);
    }

    public Bf16Alignment {
        if (bits.order() != ByteOrder.LITTLE_ENDIAN || bits.limit() != 2L * rows * cols) {
            throw new IllegalArgumentException(module + ": " + rows + " x " + cols + " bf16 alignment matrix needs "
                    + 2L * rows * cols + " little-endian bytes, got " + bits.limit());
        }
    }

    /**
     * {@code ||V||_F} from the sum of V's squares as a kernel accumulated it. A non-finite sum means a
     * NaN or infinity in V (refused with the same message as a float V's), or, for finite values
     * beyond about 1e19, squares that overflowed float: then the norm is summed again in double.
     */
    public double norm(double sumOfSquares) {
        if (Double.isFinite(sumOfSquares)) {
            return Math.sqrt(sumOfSquares);
        }
        long bad = NonFinite.firstIndex(bits, DType.BF16);
        if (bad >= 0) {
            throw new IllegalArgumentException(where + ": alignment of \"" + module + "\" holds "
                    + HalfFloats.bf16ToFloat(bits.getShort(2 * (int) bad)) + " at element " + bad);
        }
        double s = 0;
        for (int i = 0; i < bits.limit(); i += 2) {
            double x = HalfFloats.bf16ToFloat(bits.getShort(i));
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
