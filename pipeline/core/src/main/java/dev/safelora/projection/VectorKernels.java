package dev.safelora.projection;

import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two streaming products of the factored projection with the JDK's Vector API (SIMD fused
 * multiply-adds over float lanes), in float with double accumulation across row blocks.
 * Hand-written because core may depend on nothing but Jackson and slf4j (no BLAS binding), and the
 * JIT does not vectorise floating-point dot products on its own. Loaded only through
 * {@link FloatKernels#available()}.
 *
 * <p>Work is split into fixed blocks (columns of {@code V^T B}, rows of {@code V P}) whose results are combined in block order, so the output is bit-identical whatever the
 * number of threads.
 */
final class VectorKernels implements FloatKernels {

    private static final VectorSpecies<Float> LANES = FloatVector.SPECIES_PREFERRED;

    /** Columns per task block of {@code V^T B}. */
    private static final int COLUMN_BLOCK = 512;

    /** Rows of V summed in float (in registers) before the block is added into the double result. */
    private static final int ROW_BLOCK = 64;

    /**
     * Runs the kernels on small inputs until the JIT has compiled them: the Vector API is
     * very slow until then, and a first 4096 x 4096 module would otherwise take seconds.
     */
    VectorKernels() {
        int m = 2 * ROW_BLOCK + 1;
        int n = 2 * COLUMN_BLOCK + 3;
        int r = 8;
        float[] v = new float[m * n];
        float[] b = new float[m * r];
        java.util.Arrays.fill(v, 0.5f);
        java.util.Arrays.fill(b, 0.25f);
        for (int i = 0; i < WARM_UP_CALLS; i++) {
            vTimes(v, m, n, FactoredProjection.narrow(vTransposeB(v, m, n, b, r, 1)), r, 1, 1);
        }
    }

    private static final int WARM_UP_CALLS = Integer.getInteger("safelora.kernels.warmup", 10);

    /** {@code (V^T B)^T} as r x n doubles. */
    @Override
    public double[] vTransposeB(float[] v, int m, int n, float[] b, int r, int threads) {
        double[] pt = new double[r * n];
        int blocks = (n + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        int tasks = Math.max(1, Math.min(threads, blocks));
        run(tasks, t -> {
            float[] tmp = new float[LANES.length()];
            for (int blk = blocks * t / tasks; blk < blocks * (t + 1) / tasks; blk++) {
                int j0 = blk * COLUMN_BLOCK;
                int len = Math.min(COLUMN_BLOCK, n - j0);
                int bound = LANES.loopBound(len);
                for (int i0 = 0; i0 < m; i0 += ROW_BLOCK) {
                    int i1 = Math.min(m, i0 + ROW_BLOCK);
                    int k = 0;
                    for (; k + 3 < r; k += 4) {
                        for (int j = 0; j < bound; j += LANES.length()) {
                            // a broadcast zero, not FloatVector.zero: with zero()'s constant in the loop's phi, C2 failed to
                            // intrinsify the stores after the loop in some processes (as VectorBf16Kernels.fourRowsTimes8 says)
                            FloatVector s0 = FloatVector.broadcast(LANES, 0f);
                            FloatVector s1 = s0;
                            FloatVector s2 = s0;
                            FloatVector s3 = s0;
                            for (int i = i0; i < i1; i++) {
                                FloatVector x = FloatVector.fromArray(LANES, v, i * n + j0 + j);
                                int bi = i * r + k;
                                s0 = x.fma(FloatVector.broadcast(LANES, b[bi]), s0);
                                s1 = x.fma(FloatVector.broadcast(LANES, b[bi + 1]), s1);
                                s2 = x.fma(FloatVector.broadcast(LANES, b[bi + 2]), s2);
                                s3 = x.fma(FloatVector.broadcast(LANES, b[bi + 3]), s3);
                            }
                            // stored here, not by a helper taking the vectors: see VectorBf16Kernels.fourRowsTimes8
                            s0.intoArray(tmp, 0);
                            addInto(tmp, pt, k * n + j0 + j);
                            s1.intoArray(tmp, 0);
                            addInto(tmp, pt, (k + 1) * n + j0 + j);
                            s2.intoArray(tmp, 0);
                            addInto(tmp, pt, (k + 2) * n + j0 + j);
                            s3.intoArray(tmp, 0);
                            addInto(tmp, pt, (k + 3) * n + j0 + j);
                        }
                    }
                    for (; k < r; k++) {
                        for (int j = 0; j < bound; j += LANES.length()) {
                            FloatVector s = FloatVector.broadcast(LANES, 0f);
                            for (int i = i0; i < i1; i++) {
                                s = FloatVector.fromArray(LANES, v, i * n + j0 + j).fma(FloatVector.broadcast(LANES, b[i * r + k]), s);
                            }
                            s.intoArray(tmp, 0);
                            addInto(tmp, pt, k * n + j0 + j);
                        }
                    }
                    for (int j = bound; j < len; j++) {
                        for (k = 0; k < r; k++) {
                            float s = 0;
                            for (int i = i0; i < i1; i++) {
                                s += v[i * n + j0 + j] * b[i * r + k];
                            }
                            pt[k * n + j0 + j] += s;
                        }
                    }
                }
            }
        });
        return pt;
    }

    private static void addInto(float[] tmp, double[] pt, int at) {
        for (int l = 0; l < tmp.length; l++) {
            pt[at + l] += tmp[l];
        }
    }

    /** {@code V P / scale} as m x r doubles, where {@code pt} is {@code P^T} (r x n). */
    @Override
    public double[] vTimes(float[] v, int m, int n, float[] pt, int r, double scale, int threads) {
        double[] out = new double[m * r];
        int tasks = Math.max(1, Math.min(4 * threads, m / 16));
        int bound = LANES.loopBound(n);
        run(tasks, t -> {
            for (int i = (int) ((long) m * t / tasks); i < (int) ((long) m * (t + 1) / tasks); i++) {
                int src = i * n;
                int k = 0;
                // four dot products per pass over the row of V
                for (; k + 3 < r; k += 4) {
                    int p0 = k * n;
                    int p1 = p0 + n;
                    int p2 = p1 + n;
                    int p3 = p2 + n;
                    FloatVector s0 = FloatVector.zero(LANES);
                    FloatVector s1 = s0;
                    FloatVector s2 = s0;
                    FloatVector s3 = s0;
                    int j = 0;
                    for (; j < bound; j += LANES.length()) {
                        FloatVector x = FloatVector.fromArray(LANES, v, src + j);
                        s0 = x.fma(FloatVector.fromArray(LANES, pt, p0 + j), s0);
                        s1 = x.fma(FloatVector.fromArray(LANES, pt, p1 + j), s1);
                        s2 = x.fma(FloatVector.fromArray(LANES, pt, p2 + j), s2);
                        s3 = x.fma(FloatVector.fromArray(LANES, pt, p3 + j), s3);
                    }
                    double d0 = s0.reduceLanes(VectorOperators.ADD);
                    double d1 = s1.reduceLanes(VectorOperators.ADD);
                    double d2 = s2.reduceLanes(VectorOperators.ADD);
                    double d3 = s3.reduceLanes(VectorOperators.ADD);
                    for (; j < n; j++) {
                        double x = v[src + j];
                        d0 += x * pt[p0 + j];
                        d1 += x * pt[p1 + j];
                        d2 += x * pt[p2 + j];
                        d3 += x * pt[p3 + j];
                    }
                    out[i * r + k] = d0 / scale;
                    out[i * r + k + 1] = d1 / scale;
                    out[i * r + k + 2] = d2 / scale;
                    out[i * r + k + 3] = d3 / scale;
                }
                for (; k < r; k++) {
                    int p = k * n;
                    FloatVector s = FloatVector.zero(LANES);
                    int j = 0;
                    for (; j < bound; j += LANES.length()) {
                        s = FloatVector.fromArray(LANES, v, src + j).fma(FloatVector.fromArray(LANES, pt, p + j), s);
                    }
                    double d = s.reduceLanes(VectorOperators.ADD);
                    for (; j < n; j++) {
                        d += (double) v[src + j] * pt[p + j];
                    }
                    out[i * r + k] = d / scale;
                }
            }
        });
        return out;
    }

    private static void run(int tasks, java.util.function.IntConsumer task) {
        if (tasks == 1) {
            task.accept(0);
        } else {
            IntStream.range(0, tasks).parallel().forEach(task);
        }
    }
}
