package dev.safelora.projection;

import static dev.safelora.projection.Bf16VectorLoops.EIGHT_ROWS;
import static dev.safelora.projection.Bf16VectorLoops.FLOATS;
import static dev.safelora.projection.Bf16VectorLoops.LANES;
import static dev.safelora.projection.Bf16VectorLoops.PAIRS;
import static dev.safelora.projection.Bf16VectorLoops.STEP;
import static dev.safelora.projection.Bf16VectorLoops.bf16;
import static dev.safelora.projection.Bf16VectorLoops.eightRowsTimes8;
import static dev.safelora.projection.Bf16VectorLoops.fourRowsTimes4;
import static dev.safelora.projection.Bf16VectorLoops.fourRowsTimes8;
import static dev.safelora.projection.Bf16VectorLoops.rowTimes;
import static dev.safelora.projection.Bf16VectorLoops.rowTimes8;

import dev.safelora.alignment.Bf16Alignment;
import dev.safelora.tensor.Floats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

/**
 * The two streaming products of the factored projection read straight from V's bf16 bytes (as the
 * alignment artifact stores them for bf16 checkpoints), with the Vector API: half the bytes of a
 * float V, and no float copy of V at all, which is what makes them faster than the float kernels on
 * a converted V (though measured they reach neither the memory's nor the FMA units' limit:
 * benchmarks/README.md); the arithmetic is float FMAs as in {@link VectorKernels}, with double
 * accumulation across row groups of 512 rows in the first pass (within a group the sums stay in float)
 * and across nothing in the second (a row's sum over its columns, in float, then divided in double).
 *
 * <p>A bf16 value is the upper half of a float. V's bytes are loaded as int lanes, each holding two
 * consecutive elements (little endian: the first in the low half), and split with one shift and one
 * mask into the even and the odd columns as floats: single-shape operations that C2 compiles to one
 * instruction each. {@code V^T B} keeps even and odd sums apart and interleaves them when a row group's
 * float sums are added into its double partial; {@code V P} reads {@code P^T} pre-split into its even and odd
 * columns. Pairs are formed relative to each load's address, so rows of odd length work unchanged.
 *
 * <p>Stored as V^T (alignment artifacts of version 2), V is read once: {@link #transposedPass} runs both kernels on
 * each block of V^T's rows (V's columns) while the block is in the core's cache, the second pass's kernel for
 * {@code S = V^T B} (the block's rows of it are complete within the block) and the first pass's for
 * {@code V S} summed over the blocks. Stored as V, the two passes each read it.
 *
 * <p>Each pass reads V's rows from the file itself (the page cache, for an artifact just written or
 * read before), one block of rows at a time into the thread's own small buffer just before it uses them,
 * so a block is computed on while it is in the core's cache and V is never copied into a module-sized
 * buffer (which would cost writing and reading all of V in main memory once more). The first pass also
 * sums the squares of V (the Frobenius norm the second pass divides by), so a NaN or infinity anywhere
 * makes that sum non-finite. Work is handed out in fixed blocks (row groups of
 * {@code V^T B}, each summed into its own partial, the partials added in group order; rows of
 * {@code V P}) whose results do not depend on which thread computes them, so the output is
 * bit-identical whatever the number of threads. Loaded only through {@link Bf16Kernels#available()}.
 */
final class VectorBf16Kernels implements Bf16Kernels {


    /**
     * Bytes of V each thread reads at a time, in both passes. Reading an 8-layer artifact's V on two threads took 2.7 ms
     * per 4096 x 4096 module in blocks of 64 rows (512 KiB), 1.6 in blocks of 32, 1.2-1.35 in blocks of 16 (128 KiB) and
     * 1.5-2.2 in blocks of 8 or 4 (benchmarks/README.md): the two threads' blocks together must stay in the cache.
     */
    private static final int BLOCK_BYTES = 128 * 1024;

    /**
     * Rows per block read: the power of two from 4 to 64 whose rows come closest to {@value #BLOCK_BYTES} bytes
     * without passing it (16 at 4096 columns, 8 at 8192), so it divides {@link #ROW_GROUP}; at least 8 where
     * {@link Bf16VectorLoops#eightRowsTimes8} takes the rows (512-bit vectors), so that blocks of wide rows (4 rows below
     * 128 KiB from 8193 columns on, an MLP's 14336) go through the eight-row kernel the warm-up compiles: in blocks of 4, a
     * new process's first 14336-column module ran the four-row kernel before C2 had it, 203-277 ms against 48-51 ms
     * (benchmarks/README.md). Eight such rows are 224 KiB, within the second-level cache of a core with AVX-512.
     */
    static int blockRows(int n) {
        int rows = EIGHT_ROWS ? 8 : 4;
        while (rows < 64 && 2L * (2 * rows) * n <= BLOCK_BYTES) {
            rows *= 2;
        }
        return rows;
    }

    /**
     * Rows per group of the first pass: each group sums in float, then into its own double partial
     * {@code V^T B}, and the partials are added in group order (so results do not depend on which thread
     * took which group).
     */
    private static final int ROW_GROUP = 512;

    VectorBf16Kernels() {
        if (FLOATS.length() != PAIRS.length()) {
            throw new IllegalStateException("int and float vectors of different lengths");
        }
        // Small inputs, many calls: C2 compiles a method after a number of invocations and loop iterations
        // (a twentieth of the usual with ./safelora's CompileThresholdScaling of 0.05 for Bf16VectorLoops, the vector loops), and until it
        // does, every vector operation is slow Java code that allocates; a few large calls would not get there.
        // Four strips per row (16 x 128): with 16 (16 x 512) each call to fourRowsTimes8 ran 16 x 8 back edges, so C2
        // first compiled it on stack (87 ms, while the pass ran as Java code) before compiling it whole. Measured,
        // warm-up plus the first 16 4096 x 4096 modules, 6 processes each alternating: 0.57-0.85 s (median 0.68) on
        // 16 x 128, 0.67-0.86 s (median 0.70) with the kernels before fourRowsTimes8 on 16 x 512; at a scaling of 0.01
        // the modules settled at 38 ms instead of 16-17 (C2 compiled before the profiles were complete).
        // Since, one strip per row (16 x 32) and 120 calls: the counts C2 waits for come with less
        // of the slow code per call. bench-safelora at 8 layers, 5 processes each alternating: warm-up 0.37-0.54 s
        // (median 0.40) against 0.43-0.52 s (median 0.49), the new-process project 0.67-0.83 s (median 0.71) against
        // 0.70-0.80 s (median 0.77); warm, 0.20-0.23 s against 0.18-0.22 s, and 32 warm layers in a loop 586-645 ms
        // against 574-631 ms (4 processes each): no loss beyond the noise. Each strip loop still runs its back edge and
        // its exit, so neither branch is compiled as a trap; no kernel was recompiled in the first real modules.
        // (no tail columns: the vector loops of every method are what must be compiled; a tail in a real
        // module only adds its scalar loop later)
        // Where vectors are 512 bits, the 16 rows go through eightRowsTimes8 (blocks hold a multiple of 8 rows there, see
        // blockRows), and fourRowsTimes8 is left to the four to seven rows at the end of a module whose row count is not a
        // multiple of 8: compiled when such a module comes, as rowTimes8 always was. It costs the warm-up: C2 compiles
        // eightRowsTimes8 in 52-55 ms against 37 for fourRowsTimes8, and with twice the rows per call it reaches C2's
        // thresholds after twice the slow rows. On a 512-bit host the first project of a new process took a median 531
        // against 500 ms with four rows (6 processes each), for about 3% of every later project; at a lower threshold for
        // this method alone C2 compiled it before its profile was complete, and the process never recovered
        // (benchmarks/README.md).
        // Every fourth call has r = 10, so the profiles also hold a second group of eight columns of B in the first
        // pass and fewer than four columns of P in the second: a branch C2 never saw taken is compiled as a trap, and
        // the first real module of such a rank would have dropped the kernel back to Java code until recompiled.
        int m = 16;
        int n = STEP;
        ByteBuffer v = ByteBuffer.allocateDirect(2 * m * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < m * n; i++) {
            v.putShort(2 * i, (short) 0x3f00);
        }
        // Mostly the one pass over V^T (what version 2 artifacts store; U = V^T is m rows of n here); every fourth call the
        // two passes over V (version 1 artifacts), which run the same kernels from their own loops
        float[] b = new float[Math.max(m, n) * 10];
        java.util.Arrays.fill(b, 0.25f);
        for (int i = 0; i < WARM_UP_CALLS; i++) {
            if (i % 8 == 0) {
                // a thread's first call finds no scratch arrays: seen only once, that branch was compiled as a trap, and
                // each kernel thread's first real module then sent the methods holding it back to the interpreter and
                // C2 compiled them again (58 ms of the compiler thread for splitEvenOdd alone) while the modules ran
                forgetThreadArrays();
            }
            int r = i % 4 == 3 ? 10 : 8;
            if (i % 4 == 1) {
                vTimes(v, null, m, n, FactoredProjection.narrow(firstPass(v, null, m, n, b, r, 1).btv()), r, 1, 1);
            } else {
                transposedPass(v, null, n, m, b, r, 1);
            }
        }
    }

    private static final int WARM_UP_CALLS = Integer.getInteger("safelora.bf16.warmup", 120);

    /** Drops the calling thread's arrays kept between calls (as a thread that never called the kernels has none). */
    private static void forgetThreadArrays() {
        for (ThreadLocal<?> kept : List.of(PARTIALS, GROUP_SUMS, SPLIT_P, SCRATCH, TRANSPOSED_B, S_DOUBLES, S_PADDED_FLOATS)) {
            kept.remove();
        }
    }

    @Override
    public FirstPass firstPass(ByteBuffer v, Bf16Alignment.RowReader reader, int m, int n, float[] b, int r, int threads) {
        checkSize(v, reader, m, n);
        // the padding columns of B are zero: their rows of the result are dropped
        Accumulated sums = accumulate(v, reader, m, n, padColumns(b, m, r, (r + 7) / 8 * 8), r, threads, null);
        return new FirstPass(sumInGroupOrder(sums.partial(), sums.groups(), r * n), sums.sumOfSquares());
    }

    /**
     * With U = V^T (n rows of m): per block of U's rows, {@code S = U B} for those rows by {@link Bf16VectorLoops#fourRowsTimes4} (as
     * {@link #vTimes} computes V P; each row's sum over its m columns in float), then {@code U^T S} added into the row
     * group's sums by {@link #accumulate} (as {@link #firstPass} computes {@code V^T B}, with S in B's place). So
     * {@code V V^T B = U^T (U B)} and {@code V^T B = U B} come from one read of each block, and the results do not depend
     * on the number of threads (fixed row groups).
     */
    @Override
    public Transposed transposedPass(ByteBuffer u, Bf16Alignment.RowReader reader, int m, int n, float[] b, int r, int threads) {
        checkSize(u, reader, n, m);
        int r8 = (r + 7) / 8 * 8;
        int half = (m + 1) / 2;
        boolean wholeStrips = m % STEP == 0;
        // B^T, S and S as padded floats in the calling thread's arrays, reused from call to call (as partials() says): new
        // arrays for them were 512 KiB of the 1.3 MiB each 4096 x 4096 module allocated (with the group sums' copy and its
        // transpose, gone too, 40 steady 8-layer runs had 27 young collections, now 17: benchmarks/README.md)
        // B^T plays P^T's part in the second pass's kernels: split into its even and odd columns straight from B, and
        // formed whole only where rowTimes needs it, for the columns after the last strip
        float[][] split = splitEvenOdd(b, r, m, 1, r);
        float[] bt = wholeStrips ? null : transposedB(b, m, r);
        float[] be = split[0];
        float[] bo = split[1];
        double[] s = doubleScratch(S_DOUBLES, n * r);
        float[] s8 = floatScratch(S_PADDED_FLOATS, n * r8);
        Accumulated vs = accumulate(u, reader, n, m, s8, r, threads, (block, i0, i1) -> {
            int i = i0;
            for (; wholeStrips && i + 3 < i1; i += 4) {
                for (int k = 0; k < r; k += 4) {
                    fourRowsTimes4(block, i0, m, i, be, bo, bt, half, r, k, 1, s);
                }
            }
            for (; i < i1; i++) {
                for (int k = 0; k < r; k += 4) {
                    rowTimes(block, i0, m, i, be, bo, bt, half, r, k, 1, s);
                }
            }
            padRows(s, r, i0, i1, s8, r8);
        });
        return new Transposed(transposed(s, n, r), sumGroupsTransposed(vs.partial(), vs.groups(), r, m), vs.sumOfSquares());
    }

    /** B^T (r x m) of B (m x r), in the calling thread's array (valid until its next call). */
    private static float[] transposedB(float[] b, int m, int r) {
        float[] bt = floatScratch(TRANSPOSED_B, r * m);
        Floats.transposeColumns(b, m, r, 0, r, bt);
        return bt;
    }

    // The scalar loops before and after the pass are methods of their own, not loops in transposedPass: the warm-up's small shapes give
    // their loops short trip counts, and at a real module's first call C2's profile-based loop predicates failed, so
    // transposedPass, compiled with all it inlines (26-64 ms of the compiler thread each time), was compiled five to six
    // times over the first modules of a new process; a small method's recompilation takes a few milliseconds.

    /** The transpose (cols x rows) of {@code x} (rows x cols, row-major). */
    private static double[] transposed(double[] x, int rows, int cols) {
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + i] = x[i * cols + c];
            }
        }
        return out;
    }

    /** Rows {@code i0..i1} of {@code s} (r columns) as floats into {@code s8} (r8 columns, zero after the r-th: the array is reused). */
    private static void padRows(double[] s, int r, int i0, int i1, float[] s8, int r8) {
        for (int i = i0; i < i1; i++) {
            for (int k = 0; k < r; k++) {
                s8[i * r8 + k] = (float) s[i * r + k];
            }
            for (int k = r; k < r8; k++) {
                s8[i * r8 + k] = 0;
            }
        }
    }

    /**
     * {@code V V^T B} as m x r from the row groups' partials of its transpose (r8 x m each): every element the groups' values
     * added in group order, as {@link #sumInGroupOrder} adds them (the same bits on any number of threads).
     */
    private static double[] sumGroupsTransposed(double[][] partial, int groups, int r, int m) {
        double[] out = new double[m * r];
        for (int k = 0; k < r; k++) {
            for (int i = 0; i < m; i++) {
                double sum = partial[0][k * m + i];
                for (int g = 1; g < groups; g++) {
                    sum += partial[g][k * m + i];
                }
                out[i * r + k] = sum;
            }
        }
        return out;
    }

    private static final ThreadLocal<float[]> TRANSPOSED_B = new ThreadLocal<>();
    private static final ThreadLocal<double[]> S_DOUBLES = new ThreadLocal<>();
    private static final ThreadLocal<float[]> S_PADDED_FLOATS = new ThreadLocal<>();

    /** The current thread's array of at least {@code length} floats from {@code cache} (contents undefined), kept as partials() says. */
    private static float[] floatScratch(ThreadLocal<float[]> cache, int length) {
        float[] cached = cache.get();
        if (cached == null || cached.length < length) {
            cached = new float[length];
            cache.set(cached);
        }
        return cached;
    }

    /** As {@link #floatScratch}, for doubles. */
    private static double[] doubleScratch(ThreadLocal<double[]> cache, int length) {
        double[] cached = cache.get();
        if (cached == null || cached.length < length) {
            cached = new double[length];
            cache.set(cached);
        }
        return cached;
    }

    /**
     * What {@link #accumulate} leaves: the row groups' partials (the first {@code groups} arrays, each r8 x n from index 0, of
     * the calling thread's possibly larger ones: valid until its next call) and the sum of squares.
     */
    private record Accumulated(double[][] partial, int groups, double sumOfSquares) {
    }

    /** What {@link #accumulate} runs on each block before adding it up: here the block's rows of the operand are filled. */
    @FunctionalInterface
    private interface BeforeBlock {
        void run(ByteBuffer block, int i0, int i1);
    }

    /**
     * The row groups' partials of {@code (V^T W)^T} (r8 x n each, for the caller to add in group order) and the sum of V's
     * squares, for V (m x n bf16, whole in {@code v} or read by {@code reader}) and an operand W of m rows of {@code r8}
     * floats ({@code w8}, zero past column r): per row group of {@value #ROW_GROUP} rows, a block at a time, float sums of the
     * block's rows by {@link #rowBlock} (the columns after the last strip by {@link #tailColumns}, into the group's double
     * partial).
     * {@code before}, when not null, runs on each block first (and may fill the block's rows of {@code w8}).
     */
    private static Accumulated accumulate(ByteBuffer v, Bf16Alignment.RowReader reader, int m, int n, float[] w8, int r, int threads,
                                        BeforeBlock before) {
        int r8 = (r + 7) / 8 * 8;
        int strips = n / STEP;
        int bound = strips * STEP;
        boolean wholeStrips = n % STEP == 0;
        int groups = (m + ROW_GROUP - 1) / ROW_GROUP;
        int blockRows = blockRows(n);
        double[][] partial = partials(groups, r8 * n);
        double[] squares = new double[groups];
        AtomicInteger next = new AtomicInteger();
        run(Math.min(threads, groups), () -> {
            float[] sums = floatScratch(GROUP_SUMS, r8 * bound);
            for (int g = next.getAndIncrement(); g < groups; g = next.getAndIncrement()) {
                double[] part = partial[g];
                if (!wholeStrips) {
                    // the tail columns add into it; otherwise addInterleaved sets it whole
                    java.util.Arrays.fill(part, 0, r8 * n, 0);
                }
                java.util.Arrays.fill(sums, 0, r8 * bound, 0f);
                double sq = 0;
                int end = Math.min(m, (g + 1) * ROW_GROUP);
                for (int i0 = g * ROW_GROUP; i0 < end; i0 += blockRows) {
                    int i1 = Math.min(end, i0 + blockRows);
                    ByteBuffer block = rows(v, reader, n, i0, i1);
                    if (before != null) {
                        before.run(block, i0, i1);
                    }
                    sq += rowBlock(block, n, w8, r8, i0, i1, sums, strips);
                    sq += tailColumns(block, n, w8, r, r8, i0, i1, bound, part);
                }
                addInterleaved(sums, r8, n, strips, part, !wholeStrips);
                squares[g] = sq;
            }
        });
        return new Accumulated(partial, groups, sumInGroupOrder(squares, groups));
    }

    /** The first {@code length} values of the row groups' partials added in group order: the same bits on any number of threads. */
    private static double[] sumInGroupOrder(double[][] partial, int groups, int length) {
        double[] sum = java.util.Arrays.copyOf(partial[0], length);
        for (int g = 1; g < groups; g++) {
            double[] part = partial[g];
            for (int i = 0; i < length; i++) {
                sum[i] += part[i];
            }
        }
        return sum;
    }

    private static double sumInGroupOrder(double[] squares, int groups) {
        double sum = squares[0];
        for (int g = 1; g < groups; g++) {
            sum += squares[g];
        }
        return sum;
    }

    /**
     * The calling thread's arrays for the row groups' partial sums, reused from call to call: allocated anew, a
     * module's 2 MiB of them (4096 x 4096, r = 8) landed on pages the process had never touched while the young
     * generation grew, and those page faults cost as much as the pass (benchmarks/README.md). Each thread that calls
     * the kernels keeps the largest it needed (groups x r8 x n doubles, r8 the rank rounded up to eight: 2 MiB at
     * 4096 x 4096 with r = 8, 64 MiB at 8192 x 8192 with r = 64) until it ends, and a call uses a prefix of each, so
     * modules of alternating sizes (q and v under GQA, the MLP projections) allocate nothing.
     */
    private static double[][] partials(int groups, int length) {
        double[][] cached = PARTIALS.get();
        if (cached == null || cached.length < groups || cached[0].length < length) {
            cached = new double[Math.max(groups, cached == null ? 0 : cached.length)][Math.max(length, cached == null ? 0 : cached[0].length)];
            PARTIALS.set(cached);
        }
        return cached;
    }

    private static final ThreadLocal<double[][]> PARTIALS = new ThreadLocal<>();

    /** The kernel thread's float sums of one row group (see {@link #rowBlock}), kept as partials() says. */
    private static final ThreadLocal<float[]> GROUP_SUMS = new ThreadLocal<>();

    /** The calling thread's P^T (or B^T) split into its even and odd columns (see {@link #splitEvenOdd}). */
    private static final ThreadLocal<float[][]> SPLIT_P = new ThreadLocal<>();

    /** B (m x r) with zero columns appended up to {@code wide} columns. */
    private static float[] padColumns(float[] b, int m, int r, int wide) {
        if (wide == r) {
            return b;
        }
        float[] out = new float[m * wide];
        for (int i = 0; i < m; i++) {
            System.arraycopy(b, i * r, out, i * wide, r);
        }
        return out;
    }

    /**
     * Rows {@code from..to} of V as a buffer whose byte 0 is row {@code from}'s first: a slice of {@code v},
     * or read by {@code reader} into this thread's scratch buffer (valid until the thread's next call).
     */
    private static ByteBuffer rows(ByteBuffer v, Bf16Alignment.RowReader reader, int n, int from, int to) {
        int length = Math.toIntExact(2L * (to - from) * n);
        if (reader == null) {
            return v.slice(Math.toIntExact(2L * from * n), length).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer scratch = SCRATCH.get();
        if (scratch == null || scratch.capacity() < length) {
            scratch = ByteBuffer.allocateDirect(length).order(ByteOrder.LITTLE_ENDIAN);
            SCRATCH.set(scratch);
        }
        scratch.clear().limit(length);
        reader.read(from, to, scratch.duplicate());
        return scratch;
    }

    /**
     * Each kernel thread's buffer for the rows it reads (a block of {@link #blockRows} rows, about
     * {@value #BLOCK_BYTES} bytes: it stays in the core's cache while the block is used). Kept per thread for the life of
     * the thread (the common pool's and the callers'), so modules do not each allocate direct memory.
     */
    private static final ThreadLocal<ByteBuffer> SCRATCH = new ThreadLocal<>();

    /**
     * Rows {@code i0..i1} of {@code V^T B} over the vector columns into {@code sums} (V's rows from byte 0 of
     * {@code v}); returns their sum of squares. {@code sums} holds, for each group of eight columns of B and each
     * strip of {@code STEP} columns of V, the eight columns' even and then odd sums: one strip's sums are
     * contiguous (1 KiB for eight columns). The strips are taken {@value #STRIPS_PER_PASS} at a time, so their sums
     * stay in the core's first-level cache while all the block's rows go through them, eight rows at a time where
     * vectors are 512 bits ({@link Bf16VectorLoops#EIGHT_ROWS}), else four.
     */
    private static double rowBlock(ByteBuffer v, int n, float[] b, int r8, int i0, int i1, float[] sums, int strips) {
        double squares = 0;
        for (int kg = 0; kg < r8; kg += 8) {
            int at = kg * strips * STEP;
            for (int s0 = 0; s0 < strips; s0 += STRIPS_PER_PASS) {
                int s1 = Math.min(strips, s0 + STRIPS_PER_PASS);
                int i = i0;
                // every group of columns of B reads the same rows: their squares are counted from the first only
                boolean count = kg == 0;
                for (; EIGHT_ROWS && i + 7 < i1; i += 8) {
                    double q = eightRowsTimes8(v, n, 2 * (i - i0) * n, b, i * r8 + kg, r8, sums, at, s0, s1, squares);
                    squares = count ? q : squares;
                }
                for (; i + 3 < i1; i += 4) {
                    double q = fourRowsTimes8(v, n, 2 * (i - i0) * n, b, i * r8 + kg, r8, sums, at, s0, s1);
                    squares += count ? q : 0;
                }
                for (; i < i1; i++) {
                    double q = rowTimes8(v, 2 * (i - i0) * n, b, i * r8 + kg, sums, at, s0, s1);
                    squares += count ? q : 0;
                }
            }
        }
        return squares;
    }

    /** Strips of V's columns whose sums {@link #rowBlock} keeps in the first-level cache (16 KiB for eight columns of B). */
    private static final int STRIPS_PER_PASS = 16;

    /**
     * Adds a row group's float sums (laid out as {@link #rowBlock} says) into {@code part} ({@code r8 x n}), in column order;
     * or sets them there, without {@code add} (then nothing else writes those columns of {@code part}).
     */
    private static void addInterleaved(float[] sums, int r8, int n, int strips, double[] part, boolean add) {
        int x = 0;
        for (int kg = 0; kg < r8; kg += 8) {
            for (int s = 0; s < strips; s++) {
                for (int k = kg; k < kg + 8; k++) {
                    int at = k * n + s * STEP;
                    if (add) {
                        for (int l = 0; l < LANES; l++) {
                            part[at + 2 * l] += sums[x + l];
                            part[at + 2 * l + 1] += sums[x + LANES + l];
                        }
                    } else {
                        for (int l = 0; l < LANES; l++) {
                            part[at + 2 * l] = sums[x + l];
                            part[at + 2 * l + 1] = sums[x + LANES + l];
                        }
                    }
                    x += STEP;
                }
            }
        }
    }

    /** The columns after the last full strip, rows {@code i0..i1}, into {@code part}; returns their sum of squares. */
    private static double tailColumns(ByteBuffer v, int n, float[] b, int r, int r8, int i0, int i1, int bound, double[] part) {
        double squares = 0;
        for (int j = bound; j < n; j++) {
            for (int k = 0; k < r; k++) {
                float s = 0;
                for (int i = i0; i < i1; i++) {
                    s += bf16(v, (i - i0) * n + j) * b[i * r8 + k];
                }
                part[k * n + j] += s;
            }
            for (int i = i0; i < i1; i++) {
                double x = bf16(v, (i - i0) * n + j);
                squares += x * x;
            }
        }
        return squares;
    }

    @Override
    public double[] vTimes(ByteBuffer v, Bf16Alignment.RowReader reader, int m, int n, float[] pt, int r, double scale, int threads) {
        checkSize(v, reader, m, n);
        int half = (n + 1) / 2;
        float[][] split = splitEvenOdd(pt, r, n, n, 1);
        float[] pe = split[0];
        float[] po = split[1];
        double[] out = new double[m * r];
        boolean wholeStrips = n % STEP == 0;
        int rowsPerItem = blockRows(n);
        int items = (m + rowsPerItem - 1) / rowsPerItem;
        AtomicInteger next = new AtomicInteger();
        run(Math.min(threads, items), () -> {
            for (int item = next.getAndIncrement(); item < items; item = next.getAndIncrement()) {
                int from = item * rowsPerItem;
                int to = Math.min(m, from + rowsPerItem);
                ByteBuffer block = rows(v, reader, n, from, to);
                int i = from;
                // four rows per pass over four columns of P: each load of P serves four rows (measured in the
                // first-level cache, 2.5-3.2 FMAs per ns, against 1.0-1.8 with two rows and eight columns); rows with
                // columns after the last whole strip take one row at a time, which has the scalar tail
                for (; wholeStrips && i + 3 < to; i += 4) {
                    for (int k = 0; k < r; k += 4) {
                        fourRowsTimes4(block, from, n, i, pe, po, pt, half, r, k, scale, out);
                    }
                }
                for (; i < to; i++) {
                    for (int k = 0; k < r; k += 4) {
                        rowTimes(block, from, n, i, pe, po, pt, half, r, k, scale, out);
                    }
                }
            }
        });
        return out;
    }

    /**
     * An r x n matrix split into its even and odd columns, each {@code r4 x half} ({@code half = (n + 1) / 2}) with zero
     * rows up to a multiple of four, so every kernel call handles four columns of P: the calling thread's arrays, kept and
     * used by prefix as {@link #partials} says (valid until the thread's next call). Element (k, j) is
     * {@code src[k * rowStride + j * columnStride]}: {@code P^T} as the second pass gets it (strides n, 1), or B^T read
     * straight from B, m x r (strides 1, r), so the one pass over V^T forms no B^T: in a new process C2 compiled the
     * transpose of B and the split of B^T, each a loop over all of B, two to four times over the first modules (129 ms of
     * the one C2 thread while both kernel threads ran them, benchmarks/README.md).
     */
    static float[][] splitEvenOdd(float[] src, int r, int n, int rowStride, int columnStride) {
        int half = (n + 1) / 2;
        int r4 = (r + 3) / 4 * 4;
        float[][] split = evenOddArrays(r4 * half);
        float[] pe = split[0];
        float[] po = split[1];
        int pairs = n / 2;
        for (int k = 0; k < r; k++) {
            int at = k * half;
            int row = k * rowStride;
            for (int p = 0; p < pairs; p++) {
                pe[at + p] = src[row + 2 * p * columnStride];
                po[at + p] = src[row + (2 * p + 1) * columnStride];
            }
            if (pairs < half) {
                pe[at + pairs] = src[row + (n - 1) * columnStride];
                po[at + pairs] = 0;
            }
        }
        java.util.Arrays.fill(pe, r * half, r4 * half, 0f);
        java.util.Arrays.fill(po, r * half, r4 * half, 0f);
        return split;
    }

    /** The calling thread's two arrays for an even/odd split of {@code length} floats each, kept as {@link #partials} says. */
    private static float[][] evenOddArrays(int length) {
        float[][] split = SPLIT_P.get();
        if (split == null || split[0].length < length) {
            split = new float[][] {new float[length], new float[length]};
            SPLIT_P.set(split);
        }
        return split;
    }

    private static void checkSize(ByteBuffer v, Bf16Alignment.RowReader reader, int m, int n) {
        if ((v == null) == (reader == null)) {
            throw new IllegalArgumentException("bf16 V needs either its bytes or a reader, not both or neither");
        }
        if (v != null && (v.order() != ByteOrder.LITTLE_ENDIAN || v.capacity() < 2L * m * n)) {
            throw new IllegalArgumentException("bf16 V of " + m + " x " + n + " needs " + 2L * m * n
                    + " little-endian bytes, got " + v.capacity() + " " + v.order());
        }
    }

    /**
     * Runs {@code worker} on {@code workers} threads (the caller and the common pool's) and returns once every one has
     * returned, also when one threw (the first exception recorded is rethrown then): the workers write into arrays the calling
     * thread keeps for its next call, and a parallel stream's forEach passes a failure on while the other workers still run.
     */
    private static void run(int workers, Runnable worker) {
        if (workers <= 1) {
            worker.run();
            return;
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        IntStream.range(0, workers).parallel().forEach(t -> {
            try {
                worker.run();
            } catch (RuntimeException | Error e) {
                failure.compareAndSet(null, e);
            }
        });
        Throwable e = failure.get();
        if (e instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (e instanceof Error error) {
            throw error;
        }
    }
}
