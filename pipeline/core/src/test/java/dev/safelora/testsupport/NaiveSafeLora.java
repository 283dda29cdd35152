package dev.safelora.testsupport;

/**
 * The reference SafeLoRA arithmetic done the expensive way, for tests only: forms the m x m
 * {@code C = V V^T / ||V||_F} and the full m x n products, all in double.
 */
public final class NaiveSafeLora {
    private NaiveSafeLora() {
    }

    public static double[] c(float[] v, int m, int n) {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        norm = Math.sqrt(norm);
        double[] c = new double[m * m];
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < m; k++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += (double) v[i * n + j] * v[k * n + j];
                }
                c[i * m + k] = s / norm;
            }
        }
        return c;
    }

    public static double[] matmul(double[] x, int rows, int inner, double[] y, int cols) {
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < inner; k++) {
                double xik = x[i * inner + k];
                for (int j = 0; j < cols; j++) {
                    out[i * cols + j] += xik * y[k * cols + j];
                }
            }
        }
        return out;
    }

    public static double[] widen(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i];
        }
        return out;
    }

    /** C B (m x r). */
    public static double[] cb(float[] v, int m, int n, float[] b, int r) {
        return matmul(c(v, m, n), m, m, widen(b), r);
    }

    /** cos(C B A, B A) over the flattened m x n matrices. */
    public static double cosine(float[] v, int m, int n, float[] b, float[] a, int r) {
        double[] cba = matmul(cb(v, m, n, b, r), m, r, widen(a), n);
        double[] ba = matmul(widen(b), m, r, widen(a), n);
        double dot = 0;
        double n1 = 0;
        double n2 = 0;
        for (int i = 0; i < ba.length; i++) {
            dot += cba[i] * ba[i];
            n1 += cba[i] * cba[i];
            n2 += ba[i] * ba[i];
        }
        return dot / (Math.max(Math.sqrt(n1), 1e-8) * Math.max(Math.sqrt(n2), 1e-8));
    }
}
