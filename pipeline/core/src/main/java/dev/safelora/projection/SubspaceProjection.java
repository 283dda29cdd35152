package dev.safelora.projection;

import java.util.Random;

/**
 * Extension beyond the SafeLoRA paper: projection onto the span of the top-k left singular vectors
 * of V, {@code P = U_k U_k^T}, a true orthogonal projector ({@code P P = P}), unlike the paper's
 * {@code C = V V^T / ||V||_F}. U_k comes from randomized subspace iteration with oversampling and a
 * Rayleigh-Ritz step, so it never forms {@code V V^T} either; {@code P B = U_k (U_k^T B)}.
 */
public final class SubspaceProjection {
    private SubspaceProjection() {
    }

    static final int OVERSAMPLING = 8;
    static final int ITERATIONS = 8;

    /**
     * Orthonormal m x k basis (row-major, column c is the c-th singular vector, by decreasing
     * singular value) of the top-k left singular subspace of the m x n matrix V.
     */
    public static double[] topLeftSingularVectors(float[] v, int m, int n, int k) {
        if (k <= 0 || k > Math.min(m, n)) {
            throw new IllegalArgumentException("subspace rank must be between 1 and min(rows, cols) = " + Math.min(m, n) + ", got " + k);
        }
        int l = Math.min(k + OVERSAMPLING, Math.min(m, n));
        Random rnd = new Random(0x5AFE10AL);
        double[] omegaT = new double[l * n]; // Omega^T: l x n
        for (int i = 0; i < omegaT.length; i++) {
            omegaT[i] = rnd.nextGaussian();
        }
        double[] y = FactoredProjection.vTimes(v, m, n, omegaT, l, 1); // V Omega: m x l
        orthonormalize(y, m, l);
        for (int it = 0; it < ITERATIONS; it++) {
            double[] zt = FactoredProjection.vTransposeB(v, m, n, y, l); // (V^T Y)^T: l x n
            orthonormalizeRows(zt, l, n);
            y = FactoredProjection.vTimes(v, m, n, zt, l, 1);
            orthonormalize(y, m, l);
        }
        // Rayleigh-Ritz: eigenvectors of S = Y^T V V^T Y rotate Y onto the singular vectors
        double[] wt = FactoredProjection.vTransposeB(v, m, n, y, l); // (V^T Y)^T: l x n
        double[] s = new double[l * l];
        for (int a = 0; a < l; a++) {
            for (int b = a; b < l; b++) {
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    sum += wt[a * n + j] * wt[b * n + j];
                }
                s[a * l + b] = sum;
                s[b * l + a] = sum;
            }
        }
        double[] eigenvectors = new double[l * l];
        double[] eigenvalues = jacobiEigen(s, l, eigenvectors);
        Integer[] order = new Integer[l];
        for (int i = 0; i < l; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (p, q) -> Double.compare(eigenvalues[q], eigenvalues[p]));
        double[] u = new double[m * k];
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < k; c++) {
                int e = order[c];
                double sum = 0;
                for (int a = 0; a < l; a++) {
                    sum += y[i * l + a] * eigenvectors[a * l + e];
                }
                u[i * k + c] = sum;
            }
        }
        orthonormalize(u, m, k);
        return u;
    }

    /** {@code P B = U (U^T B)} for an m x k orthonormal U and an m x r B. */
    public static double[] project(double[] u, int m, int k, double[] b, int r) {
        double[] utb = new double[k * r];
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < k; c++) {
                double uic = u[i * k + c];
                for (int l = 0; l < r; l++) {
                    utb[c * r + l] += uic * b[i * r + l];
                }
            }
        }
        double[] out = new double[m * r];
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < k; c++) {
                double uic = u[i * k + c];
                for (int l = 0; l < r; l++) {
                    out[i * r + l] += uic * utb[c * r + l];
                }
            }
        }
        return out;
    }

    /** Orthonormalizes the columns of a row-major rows x cols matrix in place. */
    static void orthonormalize(double[] x, int rows, int cols) {
        orthonormalize(x, cols, rows, 1, cols);
    }

    /** Orthonormalizes the rows of a row-major rows x cols matrix in place. */
    static void orthonormalizeRows(double[] x, int rows, int cols) {
        orthonormalize(x, rows, cols, cols, 1);
    }

    /**
     * Modified Gram-Schmidt, twice, over {@code count} vectors of {@code length} entries each, where
     * entry i of vector c sits at {@code c * vectorStride + i * entryStride}.
     */
    private static void orthonormalize(double[] x, int count, int length, int vectorStride, int entryStride) {
        for (int pass = 0; pass < 2; pass++) {
            for (int c = 0; c < count; c++) {
                int vc = c * vectorStride;
                for (int p = 0; p < c; p++) {
                    int vp = p * vectorStride;
                    double dot = 0;
                    for (int i = 0; i < length; i++) {
                        dot += x[vc + i * entryStride] * x[vp + i * entryStride];
                    }
                    for (int i = 0; i < length; i++) {
                        x[vc + i * entryStride] -= dot * x[vp + i * entryStride];
                    }
                }
                double norm = norm(x, vc, length, entryStride);
                // V of rank below the oversampled width (a LoRA-merged alignment has rank r) leaves exactly
                // dependent vectors: complete the basis with the first unit vector independent of the others
                for (int unit = 0; norm < 1e-300 && unit < length; unit++) {
                    for (int i = 0; i < length; i++) {
                        x[vc + i * entryStride] = i == unit ? 1 : 0;
                    }
                    for (int p = 0; p < c; p++) {
                        int vp = p * vectorStride;
                        double dot = x[vp + unit * entryStride];
                        for (int i = 0; i < length; i++) {
                            x[vc + i * entryStride] -= dot * x[vp + i * entryStride];
                        }
                    }
                    norm = norm(x, vc, length, entryStride);
                    norm = norm < 0.5 ? 0 : norm;
                }
                if (norm < 1e-300) {
                    throw new IllegalArgumentException("cannot complete an orthonormal basis of " + count + " vectors in " + length
                            + " dimensions");
                }
                for (int i = 0; i < length; i++) {
                    x[vc + i * entryStride] /= norm;
                }
            }
        }
    }

    private static double norm(double[] x, int start, int length, int entryStride) {
        double s = 0;
        for (int i = 0; i < length; i++) {
            s += x[start + i * entryStride] * x[start + i * entryStride];
        }
        return Math.sqrt(s);
    }

    /** Cyclic Jacobi eigen-decomposition of a symmetric n x n matrix (destroyed); eigenvectors as columns. */
    static double[] jacobiEigen(double[] a, int n, double[] vectors) {
        java.util.Arrays.fill(vectors, 0);
        for (int i = 0; i < n; i++) {
            vectors[i * n + i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            double total = 0;
            for (int p = 0; p < n; p++) {
                for (int q = 0; q < n; q++) {
                    total += a[p * n + q] * a[p * n + q];
                    if (p != q) {
                        off += a[p * n + q] * a[p * n + q];
                    }
                }
            }
            if (off <= 1e-30 * total || off == 0) {
                break;
            }
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = a[p * n + q];
                    if (apq == 0) {
                        continue;
                    }
                    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k * n + p];
                        double akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p * n + k];
                        double aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = vectors[k * n + p];
                        double vkq = vectors[k * n + q];
                        vectors[k * n + p] = c * vkp - s * vkq;
                        vectors[k * n + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = a[i * n + i];
        }
        return values;
    }
}
