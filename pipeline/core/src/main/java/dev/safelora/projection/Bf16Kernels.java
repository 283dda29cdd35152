package dev.safelora.projection;

import dev.safelora.alignment.Bf16Alignment;
import java.nio.ByteBuffer;

/**
 * The two streaming products of the factored projection on V as its bf16 bytes, without a float
 * copy of V (see {@link VectorBf16Kernels}). Results do not depend on the number of threads.
 */
interface Bf16Kernels {

    /** {@code (V^T B)^T} (r x n) and the sum of the squares of V's elements (non-finite when V holds NaN or infinity). */
    record FirstPass(double[] btv, double sumOfSquares) {
    }

    /**
     * The first pass over V (m x n bf16, little endian): {@code (V^T B)^T} as r x n doubles and the sum
     * of V's squares, on up to {@code threads} threads. V is either whole in {@code v} (from index 0;
     * {@code reader} null) or read by {@code reader} ({@code v} null), block by block into each thread's
     * own small buffer just before the block is used (it is still in the core's cache then).
     */
    FirstPass firstPass(ByteBuffer v, Bf16Alignment.RowReader reader, int m, int n, float[] b, int r, int threads);

    /**
     * {@code V P / scale} as m x r doubles, where {@code pt} is {@code P^T} (r x n), on up to {@code threads}
     * threads; V whole in {@code v} or read block by block by {@code reader}, as in {@link #firstPass}.
     */
    double[] vTimes(ByteBuffer v, Bf16Alignment.RowReader reader, int m, int n, float[] pt, int r, double scale, int threads);

    /** {@code (V^T B)^T} (r x n), {@code V V^T B} (m x r, not yet divided by the norm) and the sum of V's squares. */
    record Transposed(double[] btv, double[] vvtb, double sumOfSquares) {
    }

    /**
     * Both products in one pass over {@code U = V^T} (n x m bf16, little endian: V stored transposed), whole in
     * {@code u} or read block by block by {@code reader} as in {@link #firstPass}; V is m x n and B m x r as there.
     */
    Transposed transposedPass(ByteBuffer u, Bf16Alignment.RowReader reader, int m, int n, float[] b, int r, int threads);

    /**
     * The vectorised bf16 kernels under the same conditions as {@link FloatKernels#available()}, or null.
     * The first call pays their JIT warm-up.
     */
    static Bf16Kernels available() {
        return Holder.KERNELS;
    }

    /** Whether {@link #available()} will try to load the kernels, without loading them. */
    static boolean enabled() {
        String kernels = System.getProperty("safelora.kernels");
        // "float": the float vector kernels only (V converted to float), to compare the two
        return !"scalar".equals(kernels) && !"float".equals(kernels) && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    final class Holder {
        static final Bf16Kernels KERNELS =
                enabled() ? VectorKernelLoader.load("dev.safelora.projection.VectorBf16Kernels", Bf16Kernels.class) : null;

        private Holder() {
        }
    }
}
