package dev.safelora.projection;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector loops of {@link VectorBf16Kernels}: the methods whose every operation is slow Java code until C2 has compiled
 * them, with the two small scalar helpers they call ({@code put}, {@code bf16}) and no other loop. They are a class of
 * their own so that {@code ./safelora} can lower the JIT thresholds of exactly these
 * ({@code -XX:CompileCommand=CompileThresholdScaling,...Bf16VectorLoops::*,0.05}). Lowered for the scalar loops around
 * them too (as they were while all were one class), C2 compiled those on the warm-up's tiny shapes and again, with traps
 * and on-stack replacements, on the first real modules: about 130 ms of the one C2 thread in the first project of a new
 * process, for loops that take well under a millisecond per module (benchmarks/README.md).
 */
final class Bf16VectorLoops {

    static final VectorSpecies<Integer> PAIRS = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    static final int LANES = PAIRS.length();

    /** Columns covered by one int vector (two bf16 values per lane): a strip. */
    static final int STEP = 2 * LANES;

    static final int HIGH_HALF = 0xFFFF0000;

    /** Whether {@link #eightRowsTimes8} takes the rows in eights: with 512-bit vectors, whose CPUs have 32 vector registers. */
    static final boolean EIGHT_ROWS = FLOATS.vectorBitSize() >= 512;

    private Bf16VectorLoops() {
    }

    /**
     * Four rows of V (from byte {@code off}, {@code 2n} bytes apart) in strips {@code s0..s1}, times eight columns of B
     * (row {@code bi}'s from index {@code bi}, the next rows' {@code r8} further on), added into {@code sums} from
     * {@code at}; returns the sum of the squares read.
     */
    static double fourRowsTimes8(ByteBuffer v, int n, int off, float[] b, int bi, int r8, float[] sums, int at,
                                 int s0, int s1) {
        int rowBytes = 2 * n;
        // a broadcast zero, not FloatVector.zero: with zero()'s constant in a loop's phi, C2 failed to intrinsify the
        // stores of the first pass's kernel in some processes (VectorSupport.store "failed to inline (intrinsic)"),
        // and they ran as slow Java code: the first pass took 35-45 ms per 4096 x 4096 module instead of 9-12
        FloatVector qe = FloatVector.broadcast(FLOATS, 0f);
        FloatVector qo = qe;
        for (int s = s0; s < s1; s++) {
            int src = off + s * 2 * STEP;
            IntVector w0 = IntVector.fromByteBuffer(PAIRS, v, src, ByteOrder.LITTLE_ENDIAN);
            IntVector w1 = IntVector.fromByteBuffer(PAIRS, v, src + rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w2 = IntVector.fromByteBuffer(PAIRS, v, src + 2 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w3 = IntVector.fromByteBuffer(PAIRS, v, src + 3 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            FloatVector e0 = w0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = w0.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e1 = w1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = w1.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e2 = w2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o2 = w2.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e3 = w3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o3 = w3.and(HIGH_HALF).reinterpretAsFloats();
            // the vectors are loaded and stored here, not in a helper taking them as arguments: a vector passed to a
            // method C2 has not inlined is boxed, and its store then runs as slow Java code
            int x = at + s * 8 * STEP;
            for (int k = 0; k < 8; k++) {
                FloatVector se = FloatVector.fromArray(FLOATS, sums, x);
                FloatVector so = FloatVector.fromArray(FLOATS, sums, x + LANES);
                FloatVector c = FloatVector.broadcast(FLOATS, b[bi + k]);
                se = e0.fma(c, se);
                so = o0.fma(c, so);
                c = FloatVector.broadcast(FLOATS, b[bi + r8 + k]);
                se = e1.fma(c, se);
                so = o1.fma(c, so);
                c = FloatVector.broadcast(FLOATS, b[bi + 2 * r8 + k]);
                se = e2.fma(c, se);
                so = o2.fma(c, so);
                c = FloatVector.broadcast(FLOATS, b[bi + 3 * r8 + k]);
                se = e3.fma(c, se);
                so = o3.fma(c, so);
                se.intoArray(sums, x);
                so.intoArray(sums, x + LANES);
                x += STEP;
            }
            // unconditionally: computed under an if, the sums' vectors meet in a phi that C2 did not intrinsify, and
            // they ran as slow Java code that allocates (most of the first real modules' time)
            qe = e0.fma(e0, qe);
            qo = o0.fma(o0, qo);
            qe = e1.fma(e1, qe);
            qo = o1.fma(o1, qo);
            qe = e2.fma(e2, qe);
            qo = o2.fma(o2, qo);
            qe = e3.fma(e3, qe);
            qo = o3.fma(o3, qo);
        }
        return qe.add(qo).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Eight rows of V, as two calls of {@link #fourRowsTimes8} (rows 0-3, then 4-7) compute them, with the same bits: each
     * sum adds the eight rows in order, and the squares of each four are summed apart and added to {@code squares} in
     * that order; returns {@code squares} with both added. Each load and store of the sums now serves eight rows
     * instead of four: 12% more FMAs per ns in the first-level cache (benchmarks/README.md). It needs the 32 vector
     * registers of AVX-512 (eight rows, split, are 16 vectors), so only 512-bit vectors take it ({@link #EIGHT_ROWS}): with
     * 256-bit vectors and 16 registers ({@code -XX:UseAVX=2} on the same machine) it ran 17% slower than four rows.
     */
    static double eightRowsTimes8(ByteBuffer v, int n, int off, float[] b, int bi, int r8, float[] sums, int at,
                                  int s0, int s1, double squares) {
        int rowBytes = 2 * n;
        FloatVector qe = FloatVector.broadcast(FLOATS, 0f); // not FloatVector.zero (see fourRowsTimes8)
        FloatVector qo = qe;
        FloatVector pe = qe;
        FloatVector po = qe;
        for (int s = s0; s < s1; s++) {
            int src = off + s * 2 * STEP;
            IntVector w0 = IntVector.fromByteBuffer(PAIRS, v, src, ByteOrder.LITTLE_ENDIAN);
            IntVector w1 = IntVector.fromByteBuffer(PAIRS, v, src + rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w2 = IntVector.fromByteBuffer(PAIRS, v, src + 2 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w3 = IntVector.fromByteBuffer(PAIRS, v, src + 3 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w4 = IntVector.fromByteBuffer(PAIRS, v, src + 4 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w5 = IntVector.fromByteBuffer(PAIRS, v, src + 5 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w6 = IntVector.fromByteBuffer(PAIRS, v, src + 6 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w7 = IntVector.fromByteBuffer(PAIRS, v, src + 7 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            FloatVector e0 = w0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = w0.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e1 = w1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = w1.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e2 = w2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o2 = w2.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e3 = w3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o3 = w3.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e4 = w4.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o4 = w4.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e5 = w5.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o5 = w5.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e6 = w6.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o6 = w6.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e7 = w7.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o7 = w7.and(HIGH_HALF).reinterpretAsFloats();
            // loaded and stored here, not in a helper (see fourRowsTimes8)
            int x = at + s * 8 * STEP;
            for (int k = 0; k < 8; k++) {
                FloatVector se = FloatVector.fromArray(FLOATS, sums, x);
                FloatVector so = FloatVector.fromArray(FLOATS, sums, x + LANES);
                FloatVector c = FloatVector.broadcast(FLOATS, b[bi + k]);
                se = e0.fma(c, se);
                so = o0.fma(c, so);
                c = FloatVector.broadcast(FLOATS, b[bi + r8 + k]);
                se = e1.fma(c, se);
                so = o1.fma(c, so);
                c = FloatVector.broadcast(FLOATS, b[bi + 2 * r8 + k]);
                se = e2.fma(c, se);
                so = o2.fma(c, so);
                c = FloatVector.broadcast(FLOATS, b[bi + 3 * r8 + k]);
                se = e3.fma(c, se);
                so = o3.fma(c, so);
                c = FloatVector.broadcast(FLOATS, b[bi + 4 * r8 + k]);
                se = e4.fma(c, se);
                so = o4.fma(c, so);
                c = FloatVector.broadcast(FLOATS, b[bi + 5 * r8 + k]);
                se = e5.fma(c, se);
                so = o5.fma(c, so);
                c = FloatVector.broadcast(FLOATS, b[bi + 6 * r8 + k]);
                se = e6.fma(c, se);
                so = o6.fma(c, so);
                c = FloatVector.broadcast(FLOATS, b[bi + 7 * r8 + k]);
                se = e7.fma(c, se);
                so = o7.fma(c, so);
                se.intoArray(sums, x);
                so.intoArray(sums, x + LANES);
                x += STEP;
            }
            // unconditionally, as in fourRowsTimes8
            qe = e0.fma(e0, qe);
            qo = o0.fma(o0, qo);
            qe = e1.fma(e1, qe);
            qo = o1.fma(o1, qo);
            qe = e2.fma(e2, qe);
            qo = o2.fma(o2, qo);
            qe = e3.fma(e3, qe);
            qo = o3.fma(o3, qo);
            pe = e4.fma(e4, pe);
            po = o4.fma(o4, po);
            pe = e5.fma(e5, pe);
            po = o5.fma(o5, po);
            pe = e6.fma(e6, pe);
            po = o6.fma(o6, po);
            pe = e7.fma(e7, pe);
            po = o7.fma(o7, po);
        }
        double first = squares + qe.add(qo).reduceLanes(VectorOperators.ADD);
        return first + pe.add(po).reduceLanes(VectorOperators.ADD);
    }

    /** One row of V, as {@link #fourRowsTimes8} (for a block's rows left over after the fours). */
    static double rowTimes8(ByteBuffer v, int off, float[] b, int bi, float[] sums, int at, int s0, int s1) {
        FloatVector qe = FloatVector.broadcast(FLOATS, 0f);
        FloatVector qo = qe;
        for (int s = s0; s < s1; s++) {
            IntVector w = IntVector.fromByteBuffer(PAIRS, v, off + s * 2 * STEP, ByteOrder.LITTLE_ENDIAN);
            FloatVector e = w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o = w.and(HIGH_HALF).reinterpretAsFloats();
            int x = at + s * 8 * STEP;
            for (int k = 0; k < 8; k++) {
                FloatVector c = FloatVector.broadcast(FLOATS, b[bi + k]);
                e.fma(c, FloatVector.fromArray(FLOATS, sums, x)).intoArray(sums, x);
                o.fma(c, FloatVector.fromArray(FLOATS, sums, x + LANES)).intoArray(sums, x + LANES);
                x += STEP;
            }
            qe = e.fma(e, qe); // unconditionally, as in fourRowsTimes8
            qo = o.fma(o, qo);
        }
        return qe.add(qo).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Rows i..i+3 of V times up to four columns of P from k, into {@code out}: per row the sums of {@link #rowTimes},
     * in the same order. Rows of whole strips only ({@code n} a multiple of {@code STEP}).
     */
    static void fourRowsTimes4(ByteBuffer v, int first, int n, int i, float[] pe, float[] po, float[] pt, int half, int r,
                               int k, double scale, double[] out) {
        int rowBytes = 2 * n;
        int src = 2 * (i - first) * n;
        int p0 = k * half;
        // broadcast zeros, not FloatVector.zero (see fourRowsTimes8)
        FloatVector a0 = FloatVector.broadcast(FLOATS, 0f);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        FloatVector c0 = a0;
        FloatVector c1 = a0;
        FloatVector c2 = a0;
        FloatVector c3 = a0;
        FloatVector d0 = a0;
        FloatVector d1 = a0;
        FloatVector d2 = a0;
        FloatVector d3 = a0;
        for (int j = 0; j < n; j += STEP) {
            // the four rows loaded and split as in fourRowsTimes8, written out again: a helper returning the vectors
            // would box them (see there)
            int at = src + 2 * j;
            IntVector w0 = IntVector.fromByteBuffer(PAIRS, v, at, ByteOrder.LITTLE_ENDIAN);
            IntVector w1 = IntVector.fromByteBuffer(PAIRS, v, at + rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w2 = IntVector.fromByteBuffer(PAIRS, v, at + 2 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            IntVector w3 = IntVector.fromByteBuffer(PAIRS, v, at + 3 * rowBytes, ByteOrder.LITTLE_ENDIAN);
            FloatVector e0 = w0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = w0.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e1 = w1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = w1.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e2 = w2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o2 = w2.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector e3 = w3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector o3 = w3.and(HIGH_HALF).reinterpretAsFloats();
            int h = p0 + j / 2;
            FloatVector pe0 = FloatVector.fromArray(FLOATS, pe, h);
            FloatVector po0 = FloatVector.fromArray(FLOATS, po, h);
            a0 = o0.fma(po0, e0.fma(pe0, a0));
            b0 = o1.fma(po0, e1.fma(pe0, b0));
            c0 = o2.fma(po0, e2.fma(pe0, c0));
            d0 = o3.fma(po0, e3.fma(pe0, d0));
            h += half;
            pe0 = FloatVector.fromArray(FLOATS, pe, h);
            po0 = FloatVector.fromArray(FLOATS, po, h);
            a1 = o0.fma(po0, e0.fma(pe0, a1));
            b1 = o1.fma(po0, e1.fma(pe0, b1));
            c1 = o2.fma(po0, e2.fma(pe0, c1));
            d1 = o3.fma(po0, e3.fma(pe0, d1));
            h += half;
            pe0 = FloatVector.fromArray(FLOATS, pe, h);
            po0 = FloatVector.fromArray(FLOATS, po, h);
            a2 = o0.fma(po0, e0.fma(pe0, a2));
            b2 = o1.fma(po0, e1.fma(pe0, b2));
            c2 = o2.fma(po0, e2.fma(pe0, c2));
            d2 = o3.fma(po0, e3.fma(pe0, d2));
            h += half;
            pe0 = FloatVector.fromArray(FLOATS, pe, h);
            po0 = FloatVector.fromArray(FLOATS, po, h);
            a3 = o0.fma(po0, e0.fma(pe0, a3));
            b3 = o1.fma(po0, e1.fma(pe0, b3));
            c3 = o2.fma(po0, e2.fma(pe0, c3));
            d3 = o3.fma(po0, e3.fma(pe0, d3));
        }
        int kk = Math.min(4, r - k);
        put(out, i * r + k, kk, scale, a0.reduceLanes(VectorOperators.ADD), a1.reduceLanes(VectorOperators.ADD),
                a2.reduceLanes(VectorOperators.ADD), a3.reduceLanes(VectorOperators.ADD));
        put(out, (i + 1) * r + k, kk, scale, b0.reduceLanes(VectorOperators.ADD), b1.reduceLanes(VectorOperators.ADD),
                b2.reduceLanes(VectorOperators.ADD), b3.reduceLanes(VectorOperators.ADD));
        put(out, (i + 2) * r + k, kk, scale, c0.reduceLanes(VectorOperators.ADD), c1.reduceLanes(VectorOperators.ADD),
                c2.reduceLanes(VectorOperators.ADD), c3.reduceLanes(VectorOperators.ADD));
        put(out, (i + 3) * r + k, kk, scale, d0.reduceLanes(VectorOperators.ADD), d1.reduceLanes(VectorOperators.ADD),
                d2.reduceLanes(VectorOperators.ADD), d3.reduceLanes(VectorOperators.ADD));
    }

    /** The first {@code kk} of a row's four sums, divided by {@code scale}, into {@code out} from {@code at}. */
    private static void put(double[] out, int at, int kk, double scale, float x0, float x1, float x2, float x3) {
        out[at] = x0 / scale;
        if (kk > 1) {
            out[at + 1] = x1 / scale;
        }
        if (kk > 2) {
            out[at + 2] = x2 / scale;
        }
        if (kk > 3) {
            out[at + 3] = x3 / scale;
        }
    }

    /** Row i of V times up to four columns of P from k, into {@code out}. */
    static void rowTimes(ByteBuffer v, int first, int n, int i, float[] pe, float[] po, float[] pt, int half, int r, int k,
                         double scale, double[] out) {
        int kk = Math.min(4, r - k);
        int src = (i - first) * n;
        int bound = n - n % STEP;
        int p0 = k * half;
        int p1 = p0 + half;
        int p2 = p1 + half;
        int p3 = p2 + half;
        FloatVector s0 = FloatVector.broadcast(FLOATS, 0f); // not FloatVector.zero (see fourRowsTimes8)
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        for (int j = 0; j < bound; j += STEP) {
            IntVector bits = IntVector.fromByteBuffer(PAIRS, v, 2 * (src + j), ByteOrder.LITTLE_ENDIAN);
            FloatVector xe = bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector xo = bits.and(HIGH_HALF).reinterpretAsFloats();
            int h = j / 2;
            s0 = xo.fma(FloatVector.fromArray(FLOATS, po, p0 + h), xe.fma(FloatVector.fromArray(FLOATS, pe, p0 + h), s0));
            s1 = xo.fma(FloatVector.fromArray(FLOATS, po, p1 + h), xe.fma(FloatVector.fromArray(FLOATS, pe, p1 + h), s1));
            s2 = xo.fma(FloatVector.fromArray(FLOATS, po, p2 + h), xe.fma(FloatVector.fromArray(FLOATS, pe, p2 + h), s2));
            s3 = xo.fma(FloatVector.fromArray(FLOATS, po, p3 + h), xe.fma(FloatVector.fromArray(FLOATS, pe, p3 + h), s3));
        }
        double[] d = {s0.reduceLanes(VectorOperators.ADD), s1.reduceLanes(VectorOperators.ADD),
            s2.reduceLanes(VectorOperators.ADD), s3.reduceLanes(VectorOperators.ADD)};
        for (int j = bound; j < n; j++) {
            double x = bf16(v, src + j);
            for (int c = 0; c < kk; c++) {
                d[c] += x * pt[(k + c) * n + j];
            }
        }
        for (int c = 0; c < kk; c++) {
            out[i * r + k + c] = d[c] / scale;
        }
    }

    static float bf16(ByteBuffer v, int element) {
        return Float.intBitsToFloat(v.getShort(2 * element) << 16);
    }
}
