package dev.safelora.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.safelora.alignment.Bf16Alignment;
import dev.safelora.tensor.HalfFloats;
import dev.safelora.testsupport.TinyCheckpoints;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The kernels reading V's bf16 bytes against the exact double path on the same (bf16-rounded) values. */
class VectorBf16KernelsTest {

    @Test
    void theVectorApiPathIsActiveInThisBuild() {
        assertThat(Bf16Kernels.available()).isInstanceOf(VectorBf16Kernels.class);
    }

    /**
     * C2 boxes a vector passed to a method it has not inlined, and the boxed vector's operations then run as slow Java
     * code: with the first pass's stores in such a helper, most processes ran that pass 3-4x slower (benchmarks/README.md).
     * So no kernel method takes or returns a vector.
     */
    @Test
    void noKernelMethodPassesVectorsAcrossACall() {
        for (Class<?> kernels : new Class<?>[] {VectorBf16Kernels.class, Bf16VectorLoops.class, VectorKernels.class}) {
            for (java.lang.reflect.Method method : kernels.getDeclaredMethods()) {
                assertThat(method.getReturnType().getName()).as(method.toString()).doesNotStartWith("jdk.incubator.vector.");
                for (Class<?> parameter : method.getParameterTypes()) {
                    assertThat(parameter.getName()).as(method.toString()).doesNotStartWith("jdk.incubator.vector.");
                }
            }
        }
    }

    @Test
    void readsBlocksOfAbout128KiBInPowersOfTwoRows() {
        assertThat(VectorBf16Kernels.blockRows(4096)).isEqualTo(16); // 128 KiB
        assertThat(VectorBf16Kernels.blockRows(8192)).isEqualTo(8); // 128 KiB
        assertThat(VectorBf16Kernels.blockRows(3584)).isEqualTo(16); // 112 KiB; 32 rows would be 224
        assertThat(VectorBf16Kernels.blockRows(1024)).isEqualTo(64); // the most rows per block
        // 224 KiB: the fewest rows per block, but eight where the eight-row kernel takes them
        assertThat(VectorBf16Kernels.blockRows(28672)).isEqualTo(Bf16VectorLoops.EIGHT_ROWS ? 8 : 4);
        if (Bf16VectorLoops.EIGHT_ROWS) {
            for (int n = 1; n <= 70_000; n += 97) {
                assertThat(VectorBf16Kernels.blockRows(n) % 8).as("rows per block at %d columns", n).isZero();
            }
        }
    }

    @Test
    void matchesTheExactPathOnModelShapesAndRagged() {
        assertAgrees(1024, 1024, 8, 1);
        assertAgrees(256, 4100, 8, 2); // n not a multiple of the 32 columns an int vector holds
        assertAgrees(257, 1024, 8, 7); // an odd row left over after the pairs of rows
        assertAgrees(1030, 1027, 5, 3); // odd n (rows start between int lanes), r not a multiple of 4
        assertAgrees(3, 40, 1, 4);
        assertAgrees(7, 31, 3, 5); // every column in the scalar tail
        assertAgrees(70, 545, 2, 6); // a second column block of 33 columns: one vector and a tail of one
        assertAgrees(515, 1100, 12, 8); // two groups of eight columns of B, the second half padding; three rows after the fours
        assertAgrees(1030, 1024, 5, 9); // whole strips: the four-row kernels with one column in the last group, two rows after the fours
    }

    @Test
    void resultsAreBitIdenticalWhateverTheThreadCount() {
        assertThreadIndependent(700, 1501, 6, 5); // odd n: the scalar tail in every row
        assertThreadIndependent(1030, 1024, 12, 6); // whole strips; two groups of eight columns of B; rows after the fours
    }

    private static void assertThreadIndependent(int m, int n, int r, long seed) {
        Random rnd = new Random(seed);
        ByteBuffer v = bf16(TinyCheckpoints.gaussian(rnd, m * n, 1));
        float[] b = TinyCheckpoints.gaussian(rnd, m * r, 1);
        Bf16Kernels k = Bf16Kernels.available();
        Bf16Kernels.FirstPass one = k.firstPass(v, null, m, n, b, r, 1);
        float[] pt = FactoredProjection.narrow(one.btv());
        double[] cbOne = k.vTimes(v, null, m, n, pt, r, 3, 1);
        for (int threads : new int[] {2, 3, 8}) {
            Bf16Kernels.FirstPass first = k.firstPass(v, null, m, n, b, r, threads);
            assertThat(first.btv()).as("V^T B on %d threads", threads).containsExactly(one.btv());
            assertThat(first.sumOfSquares()).as("sum of squares on %d threads", threads).isEqualTo(one.sumOfSquares());
            assertThat(k.vTimes(v, null, m, n, pt, r, 3, threads)).as("V P on %d threads", threads).containsExactly(cbOne);
        }
    }

    /** The calling thread keeps its largest work arrays and uses a prefix: a smaller module after a larger one reads no stale sums. */
    @Test
    void aModuleGivesTheSameBitsAfterALargerOneOnTheSameThread() {
        Random rnd = new Random(21);
        int m = 520;
        int n = 1024;
        int r = 12;
        ByteBuffer v = bf16(TinyCheckpoints.gaussian(rnd, m * n, 1));
        float[] b = TinyCheckpoints.gaussian(rnd, m * r, 1);
        ByteBuffer wide = bf16(TinyCheckpoints.gaussian(rnd, 600 * 2048, 1));
        float[] wideB = TinyCheckpoints.gaussian(rnd, 600 * 16, 1);
        Bf16Kernels k = Bf16Kernels.available();
        Bf16Kernels.FirstPass first = k.firstPass(v, null, m, n, b, r, 1);
        double[] cb = k.vTimes(v, null, m, n, FactoredProjection.narrow(first.btv()), r, 2, 1);
        Bf16Kernels.FirstPass larger = k.firstPass(wide, null, 600, 2048, wideB, 16, 1);
        k.vTimes(wide, null, 600, 2048, FactoredProjection.narrow(larger.btv()), 16, 2, 1);
        Bf16Kernels.FirstPass again = k.firstPass(v, null, m, n, b, r, 1);
        assertThat(again.btv()).containsExactly(first.btv());
        assertThat(again.sumOfSquares()).isEqualTo(first.sumOfSquares());
        assertThat(k.vTimes(v, null, m, n, FactoredProjection.narrow(again.btv()), r, 2, 1)).containsExactly(cb);
    }

    /** As above for the one pass over V^T, whose row groups' partials are set, not cleared and added, on whole strips. */
    @Test
    void theOnePassGivesTheSameBitsAfterLargerAndRaggedModulesOnTheSameThread() {
        Random rnd = new Random(22);
        Bf16Kernels k = Bf16Kernels.available();
        int m = 1024; // V's rows: the length of V^T's rows, whole strips
        int n = 520;
        ByteBuffer u = bf16(TinyCheckpoints.gaussian(rnd, m * n, 1));
        float[] b = TinyCheckpoints.gaussian(rnd, m * 6, 1);
        Bf16Kernels.Transposed first = k.transposedPass(u, null, m, n, b, 6, 1);
        ByteBuffer wide = bf16(TinyCheckpoints.gaussian(rnd, 2048 * 600, 1));
        k.transposedPass(wide, null, 2048, 600, TinyCheckpoints.gaussian(rnd, 2048 * 16, 1), 16, 1);
        ByteBuffer ragged = bf16(TinyCheckpoints.gaussian(rnd, 1027 * 530, 1));
        k.transposedPass(ragged, null, 1027, 530, TinyCheckpoints.gaussian(rnd, 1027 * 12, 1), 12, 1);
        Bf16Kernels.Transposed again = k.transposedPass(u, null, m, n, b, 6, 1);
        assertThat(again.btv()).containsExactly(first.btv());
        assertThat(again.vvtb()).containsExactly(first.vvtb());
        assertThat(again.sumOfSquares()).isEqualTo(first.sumOfSquares());
    }

    @Test
    void rowsReadOnDemandByBothPassesGiveTheSameBitsAsAFilledBuffer() {
        assertReaderAgrees(1100, 1027, 5, 12);
        assertReaderAgrees(1030, 1024, 5, 13); // whole strips: the second pass's four-row kernel, one column of P in its last group
    }

    private static void assertReaderAgrees(int m, int n, int r, long seed) {
        Random rnd = new Random(seed);
        ByteBuffer full = bf16(TinyCheckpoints.gaussian(rnd, m * n, 1));
        float[] b = TinyCheckpoints.gaussian(rnd, m * r, 1);
        Bf16Kernels k = Bf16Kernels.available();
        Bf16Kernels.FirstPass want = k.firstPass(full, null, m, n, b, r, 1);
        double[] cbWant = k.vTimes(full, null, m, n, FactoredProjection.narrow(want.btv()), r, 2, 1);
        for (int threads : new int[] {1, 2, 3}) {
            java.util.concurrent.atomic.AtomicIntegerArray reads = new java.util.concurrent.atomic.AtomicIntegerArray(m);
            Bf16Alignment.RowReader reader = countingReader(full, n, reads);
            Bf16Kernels.FirstPass got = k.firstPass(null, reader, m, n, b, r, threads);
            assertThat(got.btv()).as("V^T B on %d threads", threads).containsExactly(want.btv());
            assertThat(got.sumOfSquares()).isEqualTo(want.sumOfSquares());
            for (int i = 0; i < m; i++) {
                assertThat(reads.get(i)).as("reads of row %d by the first pass", i).isEqualTo(1);
            }
            assertThat(k.vTimes(null, reader, m, n, FactoredProjection.narrow(got.btv()), r, 2, threads)).containsExactly(cbWant);
            for (int i = 0; i < m; i++) {
                assertThat(reads.get(i)).as("reads of row %d by both passes", i).isEqualTo(2);
            }
        }
    }

    /** Reads stored rows of {@code rowLength} bf16 values from {@code full}, counting how often each row is read. */
    private static Bf16Alignment.RowReader countingReader(ByteBuffer full, int rowLength,
                                                          java.util.concurrent.atomic.AtomicIntegerArray reads) {
        return (from, to, into) -> {
            assertThat(into.remaining()).as("buffer for rows %d..%d", from, to).isEqualTo(2 * (to - from) * rowLength);
            for (int i = from; i < to; i++) {
                reads.incrementAndGet(i);
            }
            into.put(full.duplicate().position(2 * from * rowLength).limit(2 * to * rowLength));
        };
    }

    @Test
    void aNaNOrInfinityInVIsFoundAndNamedWithItsElement() {
        int m = 1024;
        int n = 1024;
        float[] values = TinyCheckpoints.gaussian(new Random(7), m * n, 1);
        float[] b = TinyCheckpoints.gaussian(new Random(8), m * 4, 1);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] poisoned = values.clone();
            poisoned[123_457] = bad;
            Bf16Alignment v = new Bf16Alignment("model.layers.0.self_attn.q_proj", m, n, bf16(poisoned), null, "alignment.safetensors");
            assertThatThrownBy(() -> FactoredProjection.products(v, b, 4))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("alignment.safetensors: alignment of \"model.layers.0.self_attn.q_proj\" holds " + bad + " at element 123457");
        }
    }

    @Test
    void aNaNInVStoredTransposedIsNamedWithItsElementInV() {
        int m = 1024;
        int n = 1030;
        float[] values = TinyCheckpoints.gaussian(new Random(9), m * n, 1); // V^T: n rows of m
        float[] b = TinyCheckpoints.gaussian(new Random(10), m * 4, 1);
        values[777 * m + 5] = Float.NaN; // V[5][777]
        Bf16Alignment v = new Bf16Alignment("q", m, n, true, bf16(values), null, "alignment.safetensors");
        assertThatThrownBy(() -> FactoredProjection.products(v, b, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("alignment.safetensors: alignment of \"q\" holds NaN at element " + (5 * n + 777));
    }

    @Test
    void finiteValuesWhoseSquaresOverflowFloatStillGetTheirNormInDouble() {
        float[] values = new float[64 * 64];
        values[5] = 3e20f; // finite in bf16, its square is not in float
        values[6] = 1;
        ByteBuffer bits = bf16(values);
        Bf16Alignment v = new Bf16Alignment("m", 64, 64, bits, null, "f");
        double big = HalfFloats.bf16ToFloat(bits.getShort(10));
        double sum = Bf16Kernels.available().firstPass(bits, null, 64, 64, new float[64], 1, 1).sumOfSquares();
        assertThat(sum).isInfinite();
        assertThat(v.norm(sum)).isCloseTo(Math.sqrt(big * big + 1), within(1e-9 * big));
    }

    private static void assertAgrees(int m, int n, int r, long seed) {
        Random rnd = new Random(seed);
        float[] v = rounded(TinyCheckpoints.gaussian(rnd, m * n, 1));
        float[] b = TinyCheckpoints.gaussian(rnd, m * r, 1);
        float[] a = TinyCheckpoints.gaussian(rnd, r * n, 1);
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        double norm = Math.sqrt(sum);
        double[] exactBtv = FactoredProjection.vTransposeB(v, m, n, b, r);
        double[] exact = FactoredProjection.exactProjectB(v, m, n, norm, b, r);
        Bf16Alignment asRows = new Bf16Alignment("m", m, n, bf16(v), null, "f");
        Bf16Alignment asTranspose = new Bf16Alignment("m", m, n, true, bf16(transpose(v, m, n)), null, "f");
        for (Bf16Alignment stored : new Bf16Alignment[] {asRows, asTranspose}) {
            String what = m + "x" + n + " r=" + r + (stored.transposed() ? " stored as V^T" : "");
            FactoredProjection.Bf16Products fast = FactoredProjection.products(stored, b, r);
            assertThat(fast.norm()).as("norm of %s", what).isCloseTo(norm, within(1e-6 * norm));
            assertClose(fast.btv(), exactBtv, 2e-5, "V^T B of " + what);
            assertClose(fast.cb(), exact, 2e-5, "C B of " + what);
            double[] g = FactoredProjection.gram(a, r, n);
            double[] wideB = FactoredProjection.widen(b);
            assertThat(FactoredProjection.cosine(fast.cb(), wideB, m, r, g)).as(what)
                    .isCloseTo(FactoredProjection.cosine(exact, wideB, m, r, g), within(1e-6));
        }
    }

    /** V^T (n x m) of a row-major m x n matrix, by the definition. */
    private static float[] transpose(float[] v, int m, int n) {
        float[] t = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                t[j * m + i] = v[i * n + j];
            }
        }
        return t;
    }

    @Test
    void onePassOverVTransposedIsBitIdenticalWhateverTheThreadCountAndReadsEachRowOnce() {
        assertTransposedPassIndependent(1501, 700, 6, 31); // odd row length of V^T: the scalar tails
        assertTransposedPassIndependent(1024, 1030, 12, 32); // whole strips; two groups of eight columns of B; rows after the fours
    }

    @Test
    void aFailedBlockReadComesBackOnlyAfterEveryKernelThreadHasStopped() {
        // the kernel threads write into arrays the calling thread keeps for its next call, so a failure must not reach the
        // caller while another kernel thread still works: here the first row group's first block fails at once, while the
        // second group's first read is slow (a disk that stalls)
        int m = 256;
        int n = 1024; // V^T has n rows of m: two row groups of 512 rows
        Random rnd = new Random(41);
        ByteBuffer u = bf16(TinyCheckpoints.gaussian(rnd, m * n, 1));
        float[] b = TinyCheckpoints.gaussian(rnd, m * 8, 1);
        java.util.concurrent.atomic.AtomicInteger reading = new java.util.concurrent.atomic.AtomicInteger();
        Bf16Alignment.RowReader reader = (from, to, into) -> {
            if (from == 0) {
                throw new java.io.UncheckedIOException(new java.io.IOException("rows 0-" + to + " unreadable"));
            }
            reading.incrementAndGet();
            try {
                if (from == 512) {
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
                }
                into.put(u.duplicate().position(2 * from * m).limit(2 * to * m));
            } finally {
                reading.decrementAndGet();
            }
        };
        Bf16Kernels k = Bf16Kernels.available();
        assertThatThrownBy(() -> k.transposedPass(null, reader, m, n, b, 8, 2)).hasMessageContaining("unreadable");
        assertThat(reading.get()).as("kernel threads still reading when the failure came back").isZero();
        // and the thread's next call, on its kept arrays, gives what a fresh call gives
        Bf16Kernels.Transposed fresh = k.transposedPass(u, null, m, n, b, 8, 1);
        assertThat(k.transposedPass(u, null, m, n, b, 8, 2).vvtb()).containsExactly(fresh.vvtb());
    }

    private static void assertTransposedPassIndependent(int m, int n, int r, long seed) {
        Random rnd = new Random(seed);
        ByteBuffer u = bf16(TinyCheckpoints.gaussian(rnd, m * n, 1)); // V^T: n rows of m
        float[] b = TinyCheckpoints.gaussian(rnd, m * r, 1);
        Bf16Kernels k = Bf16Kernels.available();
        Bf16Kernels.Transposed one = k.transposedPass(u, null, m, n, b, r, 1);
        for (int threads : new int[] {1, 2, 3, 8}) {
            java.util.concurrent.atomic.AtomicIntegerArray reads = new java.util.concurrent.atomic.AtomicIntegerArray(n);
            Bf16Alignment.RowReader reader = countingReader(u, m, reads);
            for (Bf16Kernels.Transposed got : List.of(k.transposedPass(u, null, m, n, b, r, threads), k.transposedPass(null, reader, m, n, b, r, threads))) {
                assertThat(got.btv()).as("V^T B on %d threads", threads).containsExactly(one.btv());
                assertThat(got.vvtb()).as("V V^T B on %d threads", threads).containsExactly(one.vvtb());
                assertThat(got.sumOfSquares()).as("sum of squares on %d threads", threads).isEqualTo(one.sumOfSquares());
            }
            for (int i = 0; i < n; i++) {
                assertThat(reads.get(i)).as("reads of stored row %d", i).isEqualTo(1);
            }
        }
    }

    private static void assertClose(double[] got, double[] want, double relative, String what) {
        assertThat(got).as(what).hasSameSizeAs(want);
        double scale = 0;
        for (double x : want) {
            scale = Math.max(scale, Math.abs(x));
        }
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).as("%s [%d]", what, i).isCloseTo(want[i], within(relative * scale));
        }
    }

    private static float[] rounded(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x[i]));
        }
        return out;
    }

    /** Little-endian bf16 bytes in a direct buffer, as the artifact reader returns them. */
    static ByteBuffer bf16(float[] x) {
        ByteBuffer out = ByteBuffer.allocateDirect(2 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < x.length; i++) {
            out.putShort(2 * i, HalfFloats.floatToBf16(x[i]));
        }
        return out;
    }
}
