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

    /** {@code ||V||_F} of a row-major matrix, accumulated in double. */
    public static double frobeniusNorm(float[] v) {
        double s0 = 0;
        double s1 = 0;
        int i = 0;
        for (; i + 1 < v.length; i += 2) {
            s0 += (double) v[i] * v[i];
            s1 += (double) v[i + 1] * v[i + 1];
        }
        if (i < v.length) {
            s0 += (double) v[i] * v[i];
        }
        return Math.sqrt(s0 + s1);
    }
}
