package dev.safelora.projection;

import dev.safelora.alignment.Bf16Alignment;
import java.util.stream.IntStream;

/**
 * The SafeLoRA kernels without the m x m matrix {@code C = V V^T / ||V||_F}:
 * {@code C B = V (V^T B) / ||V||_F} costs {@code 2 m n r} multiply-adds instead of {@code m^2 n},
 * and Frobenius products of {@code X A} and {@code Y A} reduce to r x r traces with {@code G = A A^T}.
 * Everything accumulates in double. Matrices are row-major; V is m x n, B is m x r, A is r x n.
 */
public final class FactoredProjection {
    private FactoredProjection() {
    }

    /** Rows per parallel task; big enough that splitting pays off only for real model shapes. */
    private static final int MIN_PARALLEL_WORK = 1 << 22;

    /** Columns per block of {@link #vTransposeB}: the block of the result stays in L1 while V streams past. */
    private static final int COLUMN_BLOCK = 256;

    /** {@code V^T B} as an r x n matrix (its transpose, so both kernels stream V and it row by row). */
    public static double[] vTransposeB(float[] v, int m, int n, float[] b, int r) {
        return vTransposeB(v, m, n, widen(b), r);
    }

    /** {@code V^T B} (as its r x n transpose) for a double B. */
    public static double[] vTransposeB(float[] v, int m, int n, double[] b, int r) {
        double[] pt = new double[r * n];
        int blocks = (n + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        int tasks = tasks((long) m * n * r, blocks, 1);
        IntStream.range(0, tasks).parallel().forEach(t -> {
            double[] row = new double[COLUMN_BLOCK];
            for (int blk = blocks * t / tasks; blk < blocks * (t + 1) / tasks; blk++) {
                int j0 = blk * COLUMN_BLOCK;
                int len = Math.min(COLUMN_BLOCK, n - j0);
                for (int i = 0; i < m; i++) {
                    int src = i * n + j0;
                    for (int j = 0; j < len; j++) {
                        row[j] = v[src + j];
                    }
                    int k = 0;
                    // four result rows per pass over the V row segment
                    for (; k + 3 < r; k += 4) {
                        double b0 = b[i * r + k];
                        double b1 = b[i * r + k + 1];
                        double b2 = b[i * r + k + 2];
                        double b3 = b[i * r + k + 3];
                        int d0 = k * n + j0;
                        int d1 = d0 + n;
                        int d2 = d1 + n;
                        int d3 = d2 + n;
                        for (int j = 0; j < len; j++) {
                            double x = row[j];
                            pt[d0 + j] += b0 * x;
                            pt[d1 + j] += b1 * x;
                            pt[d2 + j] += b2 * x;
                            pt[d3 + j] += b3 * x;
                        }
                    }
                    for (; k < r; k++) {
                        double bik = b[i * r + k];
                        int dst = k * n + j0;
                        for (int j = 0; j < len; j++) {
                            pt[dst + j] += bik * row[j];
                        }
                    }
                }
            }
        });
        return pt;
    }

    /** {@code V P / scale} as an m x r matrix, where {@code pt} is {@code P^T} (r x n). */
    public static double[] vTimes(float[] v, int m, int n, double[] pt, int r, double scale) {
        double[] out = new double[m * r];
        int tasks = tasks((long) m * n * r, m, 16);
        IntStream.range(0, tasks).parallel().forEach(t -> {
            double[] row = new double[n];
            for (int i = (int) ((long) m * t / tasks); i < (int) ((long) m * (t + 1) / tasks); i++) {
                int src = i * n;
                for (int j = 0; j < n; j++) {
                    row[j] = v[src + j];
                }
                int k = 0;
                // four outputs per pass over the row: four independent accumulation chains
                for (; k + 3 < r; k += 4) {
                    int p0 = k * n;
                    int p1 = p0 + n;
                    int p2 = p1 + n;
                    int p3 = p2 + n;
                    double s0 = 0;
                    double s1 = 0;
                    double s2 = 0;
                    double s3 = 0;
                    for (int j = 0; j < n; j++) {
                        double x = row[j];
                        s0 += x * pt[p0 + j];
                        s1 += x * pt[p1 + j];
                        s2 += x * pt[p2 + j];
                        s3 += x * pt[p3 + j];
                    }
                    out[i * r + k] = s0 / scale;
                    out[i * r + k + 1] = s1 / scale;
                    out[i * r + k + 2] = s2 / scale;
                    out[i * r + k + 3] = s3 / scale;
                }
                for (; k < r; k++) {
                    int p = k * n;
                    double s0 = 0;
                    double s1 = 0;
                    int j = 0;
                    for (; j + 1 < n; j += 2) {
                        s0 += row[j] * pt[p + j];
                        s1 += row[j + 1] * pt[p + j + 1];
                    }
                    if (j < n) {
                        s0 += row[j] * pt[p + j];
                    }
                    out[i * r + k] = (s0 + s1) / scale;
                }
            }
        });
        return out;
    }

    /**
     * The two factored products of one module: {@code btv = (V^T B)^T} (r x n, what
     * {@link Remedies#signedScore} reads) and {@code cb = C B = V (V^T B) / ||V||_F} (m x r).
     */
    public record Products(double[] btv, double[] cb) {
    }

    /**
     * {@link Products} of V (m x n) and B (m x r) without forming C. Modules of real models go through
     * the vectorised float kernels where the JVM offers them ({@link FloatKernels}: relative error
     * about 1e-6, far below the 1e-5 rounding of the reported cosine), split across {@link #threads()}
     * threads with results independent of their number; small ones and JVMs without the Vector API
     * take the exact double path.
     */
    public static Products products(float[] v, int m, int n, double norm, float[] b, int r) {
        FloatKernels fast = fastFor(m, n);
        if (fast != null) {
            int threads = threads();
            double[] btv = fast.vTransposeB(v, m, n, b, r, threads);
            return new Products(btv, fast.vTimes(v, m, n, narrow(btv), r, norm, threads));
        }
        double[] btv = vTransposeB(v, m, n, widen(b), r);
        return new Products(btv, vTimes(v, m, n, btv, r, norm));
    }

    /** {@link Products} of a bf16 V, and its norm ({@code ||V||_F}, which the first pass sums). */
    public record Bf16Products(double[] btv, double[] cb, double norm) {
    }

    /**
     * Whether V of this shape should go to {@link #products(Bf16Alignment, float[], int)}: the JVM has the
     * Vector API and the module is a real model's (at least {@value FloatKernels#MIN_ELEMENTS} weights).
     * Loads nothing (the kernels' JIT warm-up is paid where they are first used, or in {@link #fastBf16Kernels()}).
     */
    public static boolean bf16Kernels(int m, int n) {
        return (long) m * n >= FloatKernels.MIN_ELEMENTS && Bf16Kernels.enabled();
    }

    /**
     * {@link Products} of V read straight from its bf16 bytes (no float copy; the norm and the finiteness check
     * fused into the pass over V): stored as V^T, in one pass ({@code V V^T B} as a sum over blocks of V's
     * columns, each block's share of {@code V^T B} complete within it); stored as V, in two (the second needs
     * all of {@code V^T B}). On {@link #threads()} threads with results independent of their number. Only where
     * {@link #bf16Kernels} and {@link #fastBf16Kernels} say so.
     *
     * @throws IllegalArgumentException when V holds a NaN or infinity (see {@link Bf16Alignment#norm})
     */
    public static Bf16Products products(Bf16Alignment v, float[] b, int r) {
        return products(v, b, r, threads());
    }

    /** As {@link #products(Bf16Alignment, float[], int)}, on {@code threads} threads (the caller and the common pool's). */
    public static Bf16Products products(Bf16Alignment v, float[] b, int r, int threads) {
        Bf16Kernels kernels = Bf16Kernels.available();
        if (kernels == null) {
            throw new IllegalStateException("the bf16 kernels need the Vector API (--add-modules jdk.incubator.vector)");
        }
        if (v.transposed()) {
            Bf16Kernels.Transposed both = kernels.transposedPass(v.bits(), v.reader(), v.rows(), v.cols(), b, r, threads);
            double norm = v.norm(both.sumOfSquares());
            double[] cb = both.vvtb();
            if (norm != 0) {
                for (int i = 0; i < cb.length; i++) {
                    cb[i] /= norm;
                }
            }
            return new Bf16Products(both.btv(), cb, norm);
        }
        Bf16Kernels.FirstPass first = kernels.firstPass(v.bits(), v.reader(), v.rows(), v.cols(), b, r, threads);
        double norm = v.norm(first.sumOfSquares());
        double[] cb = norm == 0 ? new double[v.rows() * r]
                : kernels.vTimes(v.bits(), v.reader(), v.rows(), v.cols(), narrow(first.btv()), r, norm, threads);
        return new Bf16Products(first.btv(), cb, norm);
    }

    /** {@code C B = V (V^T B) / ||V||_F}, m x r, without forming C (the {@code cb} of {@link #products}). */
    public static double[] projectB(float[] v, int m, int n, double norm, float[] b, int r) {
        if (fastFor(m, n) != null) {
            return products(v, m, n, norm, b, r).cb();
        }
        return exactProjectB(v, m, n, norm, b, r);
    }

    /** {@link #projectB} on the exact double path, whatever the shape. */
    public static double[] exactProjectB(float[] v, int m, int n, double norm, float[] b, int r) {
        return vTimes(v, m, n, vTransposeB(v, m, n, b, r), r, norm);
    }

    /**
     * Whether the vectorised kernels are in use; the first call loads them (and pays their JIT
     * warm-up), so a benchmark can time that apart.
     */
    public static boolean fastKernels() {
        return FloatKernels.available() != null;
    }

    /** As {@link #fastKernels()}, for the bf16 kernels ({@link #products(Bf16Alignment, float[], int)}). */
    public static boolean fastBf16Kernels() {
        return Bf16Kernels.available() != null;
    }

    /** Threads the kernels split a module across: the common pool's parallelism plus the caller. */
    public static int threads() {
        return Math.max(1, java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1);
    }

    private static FloatKernels fastFor(int m, int n) {
        return (long) m * n >= FloatKernels.MIN_ELEMENTS ? FloatKernels.available() : null;
    }

    /** {@code G = A A^T}, r x r. */
    public static double[] gram(float[] a, int r, int n) {
        double[] g = new double[r * r];
        for (int k = 0; k < r; k++) {
            int ak = k * n;
            int l = k;
            // four entries at a time, each its own sum over j in order (the bits of one entry at a time): one sum
            // alone waits on its previous addition at every step
            for (; l + 3 < r; l += 4) {
                int a0 = l * n;
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                for (int j = 0; j < n; j++) {
                    double x = a[ak + j];
                    s0 += x * a[a0 + j];
                    s1 += x * a[a0 + n + j];
                    s2 += x * a[a0 + 2 * n + j];
                    s3 += x * a[a0 + 3 * n + j];
                }
                g[k * r + l] = s0;
                g[k * r + l + 1] = s1;
                g[k * r + l + 2] = s2;
                g[k * r + l + 3] = s3;
            }
            for (; l < r; l++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += (double) a[ak + j] * a[l * n + j];
                }
                g[k * r + l] = s;
            }
            for (l = k + 1; l < r; l++) {
                g[l * r + k] = g[k * r + l];
            }
        }
        return g;
    }

    /** {@code <X A, Y A>_F = trace(X^T Y G)} for m x r matrices X and Y and {@code G = A A^T}. */
    public static double frobeniusInner(double[] x, double[] y, int m, int r, double[] g) {
        double trace = 0;
        for (int k = 0; k < r; k++) {
            int l = 0;
            // (X^T Y)[k][l] four columns at a time in locals, each summed over the rows in order (as a plain
            // row-by-row loop would, so the same bits): an accumulator array updated in memory for every row was a
            // chain of loads and stores, 3x slower at r = 8 (eight at a time gained 12% more of 0.17 ms: not kept)
            for (; l + 3 < r; l += 4) {
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                for (int row = 0; row < m * r; row += r) {
                    double xk = x[row + k];
                    s0 += xk * y[row + l];
                    s1 += xk * y[row + l + 1];
                    s2 += xk * y[row + l + 2];
                    s3 += xk * y[row + l + 3];
                }
                trace += s0 * g[l * r + k];
                trace += s1 * g[(l + 1) * r + k];
                trace += s2 * g[(l + 2) * r + k];
                trace += s3 * g[(l + 3) * r + k];
            }
            for (; l < r; l++) {
                double s = 0;
                for (int row = 0; row < m * r; row += r) {
                    s += x[row + k] * y[row + l];
                }
                trace += s * g[l * r + k];
            }
        }
        return trace;
    }

    /**
     * Cosine between {@code C B A} and {@code B A} as torch's {@code cosine_similarity} defines it
     * (each norm clamped to at least 1e-8, so a zero update has cosine 0), clamped to [-1, 1].
     */
    public static double cosine(double[] cb, double[] b, int m, int r, double[] g) {
        return cosine(frobeniusInner(cb, b, m, r, g), frobeniusInner(cb, cb, m, r, g), frobeniusInner(b, b, m, r, g));
    }

    /**
     * {@link #cosine(double[], double[], int, int, double[])} from the three Frobenius inner products it reads:
     * {@code <C B A, B A>}, {@code <C B A, C B A>} and {@code <B A, B A>} (for a caller that needs them again).
     */
    public static double cosine(double cbB, double cbCb, double bB) {
        double cos = cbB / (Math.max(norm(cbCb), 1e-8) * Math.max(norm(bB), 1e-8));
        return Math.max(-1, Math.min(1, cos));
    }

    /** {@code ||X A||_F} from {@code <X A, X A>_F} ({@link #frobeniusInner} of X with itself; rounding can make it negative). */
    static double norm(double selfInner) {
        return Math.sqrt(Math.max(0, selfInner));
    }

    /** {@code ||X - Y||_F} of two equally long matrices. */
    public static double distance(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - y[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    public static double[] widen(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i];
        }
        return out;
    }

    static float[] narrow(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) x[i];
        }
        return out;
    }

    private static int tasks(long work, int splittable, int minPerTask) {
        if (work < MIN_PARALLEL_WORK) {
            return 1;
        }
        int cores = Math.max(1, java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1);
        return Math.max(1, Math.min(cores, splittable / minPerTask));
    }
}
