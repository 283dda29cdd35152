package dev.safelora.alignment;

/**
 * The alignment matrix {@code V = W_aligned - W_base} of one module.
 *
 * @param v rows x cols (out x in), row-major; shared, treat as immutable
 * @param frobeniusNorm {@code ||V||_F}, accumulated in double
 */
public record AlignmentMatrix(String module, int rows, int cols, float[] v, double frobeniusNorm) {
    public AlignmentMatrix {
        if ((long) rows * cols != v.length) {
            throw new IllegalArgumentException(module + ": " + rows + " x " + cols + " alignment matrix has " + v.length + " values");
        }
    }

    /** Values per partial sum: fixed, so the result does not depend on how many threads sum the runs. */
    private static final int NORM_RUN = 1 << 16;

    /**
     * {@code ||V||_F} of a row-major matrix, accumulated in double: eight independent chains per run
     * of {@value #NORM_RUN} values, runs summed in order (in parallel for real model shapes).
     */
    public static double frobeniusNorm(float[] v) {
        int runs = (v.length + NORM_RUN - 1) / NORM_RUN;
        double[] partial = new double[runs];
        java.util.stream.IntStream range = java.util.stream.IntStream.range(0, runs);
        (runs >= 16 ? range.parallel() : range).forEach(q -> partial[q] = sumOfSquares(v, q * NORM_RUN, Math.min(v.length, (q + 1) * NORM_RUN)));
        double s = 0;
        for (double p : partial) {
            s += p;
        }
        return Math.sqrt(s);
    }

    private static double sumOfSquares(float[] v, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        double s4 = 0;
        double s5 = 0;
        double s6 = 0;
        double s7 = 0;
        int i = from;
        for (; i + 7 < to; i += 8) {
            double x0 = v[i];
            double x1 = v[i + 1];
            double x2 = v[i + 2];
            double x3 = v[i + 3];
            double x4 = v[i + 4];
            double x5 = v[i + 5];
            double x6 = v[i + 6];
            double x7 = v[i + 7];
            s0 += x0 * x0;
            s1 += x1 * x1;
            s2 += x2 * x2;
            s3 += x3 * x3;
            s4 += x4 * x4;
            s5 += x5 * x5;
            s6 += x6 * x6;
            s7 += x7 * x7;
        }
        for (; i < to; i++) {
            double x = v[i];
            s0 += x * x;
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }
}
