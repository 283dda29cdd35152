package dev.safelora.alignment;

import dev.safelora.tensor.DType;
import dev.safelora.tensor.HalfFloats;
import dev.safelora.tensor.NonFinite;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One module's alignment matrix V (rows x cols) as the bf16 bytes it is stored in (row-major, little
 * endian; V itself, or V^T when {@code transposed}), for kernels that read them without a float copy:
 * either held whole in {@code bits}, or read from the file a block of stored rows at a time by
 * {@code reader} into each kernel thread's own small buffer (once for V^T, once per pass for V), so that
 * V is never copied into a module-sized buffer (a copy that costs a write and a read of the whole matrix
 * in main memory, where a block read from the page cache lands in the core's cache and is used there).
 * Its norm comes from the sum of squares those kernels accumulate: {@link #norm} checks it.
 *
 * @param transposed whether the bytes are V^T (cols x rows), as alignment artifacts of version 2 store bf16
 * @param bits   the stored bytes whole (from index 0; shared, treat as read-only), or null when {@code reader} reads them
 * @param reader reads stored rows on demand, or null when {@code bits} holds the stored bytes
 * @param where  the file it is read from, for error messages
 */
public record Bf16Alignment(String module, int rows, int cols, boolean transposed, ByteBuffer bits, RowReader reader, String where) {

    /**
     * Reads stored rows {@code fromRow..toRow} (of V, or of V^T when {@code transposed}) into {@code into}, from its
     * position to its limit (which span exactly those rows' bytes); called concurrently, each thread with its own buffer.
     */
    @FunctionalInterface
    public interface RowReader {
        void read(int fromRow, int toRow, ByteBuffer into);
    }

    /** V (rows x cols) stored as it is. */
    public Bf16Alignment(String module, int rows, int cols, ByteBuffer bits, RowReader reader, String where) {
        this(module, rows, cols, false, bits, reader, where);
    }

    /** The rows the bytes are stored in: V's, or V^T's (V's columns) when {@code transposed}. */
    public int storedRows() {
        return transposed ? cols : rows;
    }

    public Bf16Alignment {
        if ((bits == null) == (reader == null)) {
            throw new IllegalArgumentException(module + ": a bf16 alignment matrix needs either its bytes or a reader for them");
        }
        if (bits != null && (bits.order() != ByteOrder.LITTLE_ENDIAN || bits.limit() != 2L * rows * cols)) {
            throw new IllegalArgumentException(module + ": " + rows + " x " + cols + " bf16 alignment matrix needs "
                    + 2L * rows * cols + " little-endian bytes, got " + bits.limit());
        }
    }

    /**
     * The stored bytes whole in one buffer (V, or V^T when {@code transposed}): {@code bits} itself, or read into
     * {@code reuse} (or a new buffer when that is too small).
     */
    public ByteBuffer whole(ByteBuffer reuse) {
        if (bits != null) {
            return bits;
        }
        int length = Math.toIntExact(2L * rows * cols);
        ByteBuffer out = reuse != null && reuse.capacity() >= length ? reuse : ByteBuffer.allocateDirect(length);
        out.order(ByteOrder.LITTLE_ENDIAN).clear().limit(length);
        reader.read(0, storedRows(), out.duplicate());
        return out;
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
        // rare (a broken artifact): V is read whole once more to name the element
        ByteBuffer all = whole(null);
        long bad = NonFinite.firstIndex(all, DType.BF16);
        if (bad >= 0) {
            // named by its index in V (row-major), whichever way it is stored
            long element = transposed ? (bad % rows) * cols + bad / rows : bad;
            throw new IllegalArgumentException(where + ": alignment of \"" + module + "\" holds "
                    + HalfFloats.bf16ToFloat(all.getShort(2 * (int) bad)) + " at element " + element);
        }
        double s = 0;
        for (int i = 0; i < all.limit(); i += 2) {
            double x = HalfFloats.bf16ToFloat(all.getShort(i));
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
